/*
 * Dropping root after start-up (see privdrop.h).  The order matters:
 * supplementary groups first (they need root), then the group, then the
 * user (after which nothing else can be changed), then NO_NEW_PRIVS so no
 * set-uid program run later could regain anything.  The checks after the
 * drop do not trust the return codes alone: they read the ids back and
 * try to become root again, which must fail.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include "server/privdrop.h"

#define USER_MAX 32
#define PWBUF_MAX 16384

bool
privdrop_is_root(void)
{
	return geteuid() == 0;
}

/* Read the ids back; every one must be the target's, none root. */
static bool
held(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return false;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		return false;
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		return false;
	if (getgroups(0, NULL) != 0)
		return false;
	/* Root must be out of reach now (unless the target is root). */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		return false;
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		return false;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
}

int
privdrop_drop(const char *name, const char *user, char *errbuf,
    size_t errsz)
{
	char pwbuf[PWBUF_MAX];
	struct passwd pw, *res = NULL;
	uid_t uid;
	gid_t gid;
	int rc;

	if (name == NULL)
		name = "hrpost";
	if (!privdrop_is_root()) {
		fprintf(stderr, "%s: not started as root: no privilege "
		    "to drop, running as uid %lu\n", name,
		    (unsigned long)geteuid());
		return 0;
	}
	if (user == NULL || user[0] == '\0' ||
	    strnlen(user, USER_MAX + 1) > USER_MAX) {
		errbuf_set(errbuf, errsz, "no user to drop to");
		return -1;
	}
	rc = getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &res);
	if (rc != 0 || res == NULL) {
		errbuf_set(errbuf, errsz, "user %s: %s", user,
		    rc != 0 ? strerror(rc) : "no such user");
		return -1;
	}
	uid = pw.pw_uid;
	gid = pw.pw_gid;
	if (uid == 0) {
		errbuf_set(errbuf, errsz, "user %s is root: refusing to run "
		    "a network daemon as root", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0) {
		errbuf_set(errbuf, errsz, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		errbuf_set(errbuf, errsz, "setgid %lu: %s",
		    (unsigned long)gid, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		errbuf_set(errbuf, errsz, "setuid %lu: %s",
		    (unsigned long)uid, strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		errbuf_set(errbuf, errsz, "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));
		return -1;
	}
	if (!held(uid, gid)) {
		errbuf_set(errbuf, errsz, "the drop to user %s did not hold",
		    user);
		return -1;
	}
	fprintf(stderr, "%s: running as user %s (uid %lu, gid %lu)\n", name,
	    user, (unsigned long)uid, (unsigned long)gid);
	return 0;
}
