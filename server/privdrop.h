/*
 * Dropping root after start-up.  A daemon started as root does everything
 * privileged first (binds its port, opens its database connections, loads
 * keys and templates), then calls privdrop_drop() with the user from its
 * config, which: looks the user up (getpwnam), clears supplementary
 * groups (setgroups 0), sets gid then uid, sets PR_SET_NO_NEW_PRIVS, and
 * verifies that real and effective uid and gid are the target's and that
 * setuid(0) and setgid(0) now fail.  Any failure is fatal: the caller
 * must not serve.
 *
 * Files: nothing is chowned.  The daemon keeps using the descriptors it
 * opened as root (intake.db with its -wal and -shm, opened and kept open
 * for the daemon's life), so the unprivileged user needs no access to
 * the state directory at all, and a daemon taken over cannot read the
 * configuration, the key files or anything else there, nor plant a file
 * root would read at the next start.
 *
 * Not root: nothing to drop; privdrop_drop() says so once on stderr and
 * returns 0.
 */
#ifndef HRPOST_PRIVDROP_H
#define HRPOST_PRIVDROP_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"

/* true when the process runs with effective uid 0. */
bool privdrop_is_root(void);

/*
 * When root, drop to @user (a name from the config, 1 to 32 characters)
 * and verify as above; @name prefixes the stderr line ("intake").
 * Returns 0 (dropped and verified, or not root), or -1 with the reason in
 * @errbuf ("user nobody: no such user", "the drop did not hold").
 * Call it with a single thread, before http_server_start().
 */
int privdrop_drop(const char *name, const char *user, char *errbuf,
    size_t errsz) WUR;

#endif
