/*
 * Picking, packing and shipping (see packing.h for the contracts).  An
 * order's packs become items through the catalogue; items come out of
 * stock lots first-expiry-first-out; the parcel row and one parcel_lots
 * row per lot drawn record where every lot went, so a recall finds its
 * recipients.  Packing and shipping each run in one BEGIN IMMEDIATE
 * transaction on centre.db together with the order's status move
 * (store_order_transition_tx()) and their audit entries: a refusal or a
 * failure anywhere rolls back everything, so an order is never half
 * packed.  Only clear columns are read here (references, statuses, pack
 * and item codes, lots): no personal data is opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/token.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "shipping/packing.h"

#define RECIPIENTS_MAX 100000	/* parcels one lot can have gone into */
#define RECIPIENTS_INITIAL 16

/* Lots a packing may draw from, in the order it draws (shared with pick). */
static const char fefo_sql[] =
    "SELECT id, lot, expiry, qty_left FROM stock_lots "
    "WHERE item = ?1 AND qty_left > 0 AND (expiry IS NULL OR expiry >= ?2) "
    "ORDER BY expiry IS NULL, expiry, received_at, id";

static enum packing_status
map_store(enum store_status s)
{
	switch (s) {
	case STORE_OK:
		return PACKING_OK;
	case STORE_ERR_NOT_FOUND:
		return PACKING_ERR_NOT_FOUND;
	case STORE_ERR_TRANSITION:
		return PACKING_ERR_STATUS;
	case STORE_ERR_INVALID:
		return PACKING_ERR_INVALID;
	default:
		return PACKING_ERR_DB;
	}
}

/* ---- reading what a barcode scanner typed ---- */

/* Case-insensitive ASCII prefix test. */
static bool
has_prefix(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + ('a' - 'A'));
		if (c != *prefix)
			return false;
	}
	return true;
}

int
packing_scan_ref(const char *in, char *out, size_t outsz,
    struct field_error *err)
{
	char buf[PACKING_SCAN_MAX + 1];
	const char *code;
	char *p, *end;
	enum token_status rc;
	size_t len;

	if (out == NULL || outsz < STORE_TOKEN_MAX)
		return field_error_set(err, "ref", "no room for the code");
	out[0] = '\0';
	if (in == NULL || *in == '\0')
		return field_error_set(err, "ref", "is required");
	len = strnlen(in, PACKING_SCAN_MAX + 1);
	if (len > PACKING_SCAN_MAX)
		return field_error_set(err, "ref", "not an hrpost code: too "
		    "long");
	memcpy(buf, in, len + 1);
	/* What a scanner ends its line with, and stray spaces. */
	end = buf + len;
	while (end > buf && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	p = buf;
	while (*p == ' ' || *p == '\t')
		p++;
	code = p;

	if (has_prefix(p, "http://") || has_prefix(p, "https://")) {
		char *path, *t, *slash;

		/* A query or fragment goes; the path starts after the host. */
		p[strcspn(p, "?#")] = '\0';
		path = strchr(strstr(p, "//") + 2, '/');
		if (path == NULL)
			return field_error_set(err, "ref", "not an hrpost "
			    "code: a web address that is not a tracking link");
		/* The last "/t/" of the path: /t/CODE or /prefix/t/CODE. */
		t = NULL;
		for (char *q = strstr(path, "/t/"); q != NULL;
		    q = strstr(q + 1, "/t/"))
			t = q;
		if (t == NULL)
			return field_error_set(err, "ref", "not an hrpost "
			    "code: a web address that is not a tracking link");
		code = t + 3;
		slash = strchr(t + 3, '/');
		if (slash != NULL) {
			/* Only a trailing slash may follow the code. */
			if (slash[1] != '\0')
				return field_error_set(err, "ref", "not an "
				    "hrpost code: a web address that is not a "
				    "tracking link");
			*slash = '\0';
		}
	} else if (strchr(p, '/') != NULL || strchr(p, ':') != NULL) {
		return field_error_set(err, "ref", "not an hrpost code");
	}

	rc = token_parse(code, TOKEN_REF_DIGITS, out, outsz);
	if (rc == TOKEN_ERR_LENGTH)
		rc = token_parse(code, TOKEN_TRACK_DIGITS, out, outsz);
	switch (rc) {
	case TOKEN_OK:
		return 0;
	case TOKEN_ERR_CHECK:
		out[0] = '\0';
		return field_error_set(err, "ref", "has a typo: its check "
		    "character does not match");
	default:
		out[0] = '\0';
		return field_error_set(err, "ref", "not an hrpost code "
		    "(neither an order reference of %d characters nor a "
		    "tracking code of %d)", TOKEN_REF_DIGITS + 1,
		    TOKEN_TRACK_DIGITS + 1);
	}
}

int
packing_carrier_id_check(const char *id, char out[PACKING_CARRIER_ID_BYTES],
    struct field_error *err)
{
	const char *f = "carrier_id";
	size_t start = 0, end, i, n = 0;

	out[0] = '\0';
	if (id == NULL)
		return field_error_set(err, f, "is required");
	end = strnlen(id, PACKING_SCAN_MAX + 1);
	while (start < end && (id[start] == ' ' || id[start] == '\t'))
		start++;
	while (end > start && (id[end - 1] == ' ' || id[end - 1] == '\t' ||
	    id[end - 1] == '\r' || id[end - 1] == '\n'))
		end--;
	if (end - start < PACKING_CARRIER_ID_MIN ||
	    end - start > PACKING_CARRIER_ID_MAX)
		return field_error_set(err, f, "must be %d to %d letters and "
		    "digits (the La Poste tracking number)",
		    PACKING_CARRIER_ID_MIN, PACKING_CARRIER_ID_MAX);
	for (i = start; i < end; i++) {
		char c = id[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - ('a' - 'A'));
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			out[0] = '\0';
			return field_error_set(err, f, "must be letters and "
			    "digits only (the La Poste tracking number)");
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* ---- an order as a parcel ---- */

/* Index of item @code in the catalogue, or -1. */
static long
item_index(const struct catalogue *cat, const char *code)
{
	size_t i, n = catalogue_nitems(cat);

	for (i = 0; i < n; i++)
		if (str_casecmp(catalogue_item_at(cat, i)->code, code) == 0)
			return (long)i;
	return -1;
}

enum packing_status
packing_contents(const struct catalogue *cat, struct packing_parcel *p,
    char *errbuf, size_t errsz)
{
	long sum[CATALOGUE_ITEMS_MAX];
	long weight = 0;
	size_t i, k, n = catalogue_nitems(cat);

	if (n > CATALOGUE_ITEMS_MAX) {
		errbuf_set(errbuf, errsz, "catalogue has too many items");
		return PACKING_ERR_CATALOGUE;
	}
	memset(sum, 0, sizeof(sum));
	p->nitems = 0;
	p->weight = 0;
	for (i = 0; i < p->nlines && i < ORDER_PACKS_MAX; i++) {
		const struct order_line *l = &p->lines[i];
		const struct catalogue_pack *pack = catalogue_pack(cat, l->pack);
		const char *variant;

		if (pack == NULL) {
			errbuf_set(errbuf, errsz, "order %s: pack %s is no "
			    "longer in the catalogue", p->ref, l->pack);
			return PACKING_ERR_CATALOGUE;
		}
		if (l->variant[0] != '\0' &&
		    !catalogue_pack_has_variant(pack, l->variant)) {
			errbuf_set(errbuf, errsz, "order %s: pack %s has no "
			    "variant %s any more", p->ref, l->pack,
			    l->variant);
			return PACKING_ERR_CATALOGUE;
		}
		if (l->qty < ORDER_QTY_MIN || l->qty > ORDER_QTY_MAX) {
			errbuf_set(errbuf, errsz, "order %s: pack %s has a "
			    "quantity out of range", p->ref, l->pack);
			return PACKING_ERR_CATALOGUE;
		}
		variant = l->variant[0] != '\0' ? l->variant :
		    pack->default_variant;
		weight += (long)pack->weight * l->qty;
		for (k = 0; k < pack->nitems; k++) {
			const struct catalogue_pack_item *it = &pack->items[k];
			long idx;

			if (!catalogue_pack_item_in(it, variant))
				continue;
			idx = item_index(cat, it->item);
			if (idx < 0) {
				errbuf_set(errbuf, errsz, "pack %s holds item "
				    "%s, unknown to the catalogue", pack->code,
				    it->item);
				return PACKING_ERR_CATALOGUE;
			}
			sum[idx] += (long)it->qty * l->qty;
			if (sum[idx] > INT32_MAX) {
				errbuf_set(errbuf, errsz, "order %s needs too "
				    "many of item %s", p->ref, it->item);
				return PACKING_ERR_CATALOGUE;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (sum[i] == 0)
			continue;
		if (str_copy(p->items[p->nitems].item,
		    sizeof(p->items[p->nitems].item),
		    catalogue_item_at(cat, i)->code) != 0) {
			errbuf_set(errbuf, errsz, "item code too long");
			return PACKING_ERR_CATALOGUE;
		}
		p->items[p->nitems].qty = (int)sum[i];
		p->nitems++;
	}
	p->weight = weight > INT32_MAX ? INT32_MAX : (int)weight;
	return PACKING_OK;
}

bool
packing_parcel_has_item(const struct packing_parcel *p, const char *item)
{
	size_t i;

	if (p == NULL || item == NULL)
		return false;
	for (i = 0; i < p->nitems; i++)
		if (str_casecmp(p->items[i].item, item) == 0)
			return true;
	return false;
}

/* The order's lines into @p. */
static enum packing_status
read_lines(sqlite3 *db, int64_t order_id, struct packing_parcel *p,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	enum packing_status ret = PACKING_ERR_DB;
	int rc;

	p->nlines = 0;
	if (db_prepare(db, "SELECT pack, qty, variant FROM order_lines "
	    "WHERE order_id = ? ORDER BY id", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, order_id) != SQLITE_OK) {
		db_error(db, "cannot read order lines", errbuf, errsz);
		goto out;
	}
	for (;;) {
		struct order_line *l;

		rc = db_step(s, "cannot read order lines", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		if (p->nlines >= ORDER_PACKS_MAX) {
			errbuf_set(errbuf, errsz, "order %s has too many "
			    "lines", p->ref);
			goto out;
		}
		l = &p->lines[p->nlines];
		if (db_column_text(s, 0, l->pack, sizeof(l->pack)) != 0 ||
		    db_column_text(s, 2, l->variant, sizeof(l->variant)) != 0) {
			errbuf_set(errbuf, errsz, "order %s has a malformed "
			    "line", p->ref);
			goto out;
		}
		l->qty = sqlite3_column_int(s, 1);
		p->nlines++;
	}
	ret = PACKING_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* The parcel row and the lots drawn, when the order has a parcel. */
static enum packing_status
read_parcel(sqlite3 *db, int64_t order_id, struct packing_parcel *p,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	enum packing_status ret = PACKING_ERR_DB;
	int rc;

	p->parcel_id = 0;
	p->ntakes = 0;
	if (db_prepare(db, "SELECT id, carrier_id, packed_at, shipped_at "
	    "FROM parcels WHERE order_id = ?", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, order_id) != SQLITE_OK) {
		db_error(db, "cannot read the parcel", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the parcel", errbuf, errsz);
	if (rc == SQLITE_DONE) {
		ret = PACKING_OK;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	p->parcel_id = sqlite3_column_int64(s, 0);
	if (db_column_text(s, 1, p->carrier_id, sizeof(p->carrier_id)) != 0) {
		errbuf_set(errbuf, errsz, "parcel of order %s has a malformed "
		    "carrier id", p->ref);
		goto out;
	}
	p->packed_at = (time_t)sqlite3_column_int64(s, 2);
	p->shipped_at = (time_t)sqlite3_column_int64(s, 3);
	sqlite3_finalize(s);
	s = NULL;

	if (db_prepare(db, "SELECT l.item, l.lot, l.id, l.expiry, pl.qty "
	    "FROM parcel_lots pl JOIN stock_lots l ON l.id = pl.lot_id "
	    "WHERE pl.parcel_id = ? ORDER BY pl.rowid", &s, errbuf,
	    errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, p->parcel_id) != SQLITE_OK) {
		db_error(db, "cannot read the parcel's lots", errbuf, errsz);
		goto out;
	}
	for (;;) {
		struct packing_take *t;

		rc = db_step(s, "cannot read the parcel's lots", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		if (p->ntakes >= PACKING_TAKES_MAX) {
			errbuf_set(errbuf, errsz, "parcel of order %s has too "
			    "many lots", p->ref);
			goto out;
		}
		t = &p->takes[p->ntakes];
		memset(t, 0, sizeof(*t));
		if (db_column_text(s, 0, t->item, sizeof(t->item)) != 0 ||
		    db_column_text(s, 1, t->lot, sizeof(t->lot)) != 0) {
			errbuf_set(errbuf, errsz, "parcel of order %s has a "
			    "malformed lot", p->ref);
			goto out;
		}
		t->lot_id = sqlite3_column_int64(s, 2);
		t->expiry = (time_t)sqlite3_column_int64(s, 3);
		t->qty = sqlite3_column_int(s, 4);
		p->ntakes++;
	}
	ret = PACKING_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Fill @p from an order row: clear columns, lines, contents, parcel. */
static enum packing_status
load_parcel(struct store *st, const struct catalogue *cat,
    const struct store_order_row *row, struct packing_parcel *p,
    char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	enum packing_status ret;

	memset(p, 0, sizeof(*p));
	/* Same sizes on both sides (store.h, packing.h). */
	if (str_copy(p->ref, sizeof(p->ref), row->ref) != 0 ||
	    str_copy(p->token, sizeof(p->token), row->token) != 0 ||
	    str_copy(p->lang, sizeof(p->lang), row->lang) != 0 ||
	    str_copy(p->dept, sizeof(p->dept), row->dept) != 0 ||
	    str_copy(p->flag_reason, sizeof(p->flag_reason),
	    row->flag_reason) != 0) {
		errbuf_set(errbuf, errsz, "order %s has a malformed column",
		    row->ref);
		return PACKING_ERR_DB;
	}
	p->status = row->status;
	p->flagged = row->flagged;
	p->received_at = row->received_at;
	ret = read_lines(db, row->id, p, errbuf, errsz);
	if (ret == PACKING_OK)
		ret = packing_contents(cat, p, errbuf, errsz);
	if (ret == PACKING_OK)
		ret = read_parcel(db, row->id, p, errbuf, errsz);
	return ret;
}

enum packing_status
packing_parcel_get(struct store *st, const struct catalogue *cat,
    const char *ref, struct packing_parcel *p, char *errbuf, size_t errsz)
{
	struct store_order_row row;
	enum store_status s;

	if (st == NULL || cat == NULL || p == NULL) {
		errbuf_set(errbuf, errsz, "no store or catalogue");
		return PACKING_ERR_INVALID;
	}
	memset(p, 0, sizeof(*p));
	s = store_order_get(st, ref, &row);
	if (s != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		return map_store(s);
	}
	return load_parcel(st, cat, &row, p, errbuf, errsz);
}

/* ---- packing ---- */

/*
 * Plan the draws for every item of @p from today's usable lots, FEFO,
 * into @p->takes; record shortages and the usable totals before.
 */
static enum packing_status
plan_takes(sqlite3 *db, time_t today, struct packing_parcel *p,
    long usable_before[CATALOGUE_ITEMS_MAX], struct packing_report *rep,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	enum packing_status ret = PACKING_ERR_DB;
	size_t i;
	int rc;

	p->ntakes = 0;
	if (db_prepare(db, fefo_sql, &s, errbuf, errsz) != 0)
		goto out;
	for (i = 0; i < p->nitems; i++) {
		long need = p->items[i].qty, usable = 0;

		sqlite3_reset(s);
		if (db_bind_text(s, 1, p->items[i].item) != SQLITE_OK ||
		    db_bind_int64(s, 2, (int64_t)today) != SQLITE_OK) {
			db_error(db, "cannot read stock", errbuf, errsz);
			goto out;
		}
		for (;;) {
			struct packing_take *t;
			long left, take;

			rc = db_step(s, "cannot read stock", errbuf, errsz);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW)
				goto out;
			left = (long)sqlite3_column_int64(s, 3);
			usable += left;
			if (need == 0)
				continue;	/* still counting usable */
			take = left < need ? left : need;
			if (p->ntakes >= PACKING_TAKES_MAX) {
				errbuf_set(errbuf, errsz, "order %s would draw "
				    "from more than %d lots", p->ref,
				    PACKING_TAKES_MAX);
				goto out;
			}
			t = &p->takes[p->ntakes];
			memset(t, 0, sizeof(*t));
			/* Same size: items and lots are read into these. */
			memcpy(t->item, p->items[i].item, sizeof(t->item));
			if (db_column_text(s, 1, t->lot, sizeof(t->lot)) != 0) {
				errbuf_set(errbuf, errsz, "a lot of item %s is "
				    "malformed", t->item);
				goto out;
			}
			t->lot_id = sqlite3_column_int64(s, 0);
			if (sqlite3_column_type(s, 2) != SQLITE_NULL)
				t->expiry = (time_t)sqlite3_column_int64(s, 2);
			t->qty = (int)take;
			p->ntakes++;
			need -= take;
		}
		usable_before[i] = usable;
		if (need == 0)
			continue;
		if (rep != NULL && rep->nshort < CATALOGUE_ITEMS_MAX) {
			struct packing_short *sh = &rep->shorts[rep->nshort++];

			memcpy(sh->item, p->items[i].item, sizeof(sh->item));
			sh->need = p->items[i].qty;
			sh->usable = usable;
		}
		/* The message names the first item short; @rep has all. */
		if (ret != PACKING_ERR_SHORT)
			errbuf_set(errbuf, errsz, "short of stock: item %s "
			    "needs %d, %ld usable (%ld missing)",
			    p->items[i].item, p->items[i].qty, usable, need);
		ret = PACKING_ERR_SHORT;
	}
	if (ret != PACKING_ERR_SHORT)
		ret = PACKING_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Take the planned draws and record the parcel and its lots. */
static enum packing_status
write_parcel(sqlite3 *db, int64_t order_id, time_t now,
    struct packing_parcel *p, char *errbuf, size_t errsz)
{
	sqlite3_stmt *take = NULL, *parcel = NULL, *lot = NULL;
	enum packing_status ret = PACKING_ERR_DB;
	size_t i;

	if (db_prepare(db,
	    "UPDATE stock_lots SET qty_left = qty_left - ?1 "
	    "WHERE id = ?2 AND qty_left >= ?1", &take, errbuf, errsz) != 0 ||
	    db_prepare(db, "INSERT INTO parcels (order_id, carrier, status, "
	    "packed_at, weight) VALUES (?, ?, 'labelled', ?, ?)", &parcel,
	    errbuf, errsz) != 0 ||
	    db_prepare(db, "INSERT INTO parcel_lots (parcel_id, lot_id, qty) "
	    "VALUES (?, ?, ?)", &lot, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(parcel, 1, order_id) != SQLITE_OK ||
	    db_bind_text(parcel, 2, PACKING_CARRIER) != SQLITE_OK ||
	    db_bind_int64(parcel, 3, (int64_t)now) != SQLITE_OK ||
	    db_bind_int64(parcel, 4, p->weight) != SQLITE_OK) {
		db_error(db, "cannot record the parcel", errbuf, errsz);
		goto out;
	}
	if (db_step(parcel, "cannot record the parcel", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	p->parcel_id = sqlite3_last_insert_rowid(db);
	for (i = 0; i < p->ntakes; i++) {
		const struct packing_take *t = &p->takes[i];

		sqlite3_reset(take);
		sqlite3_reset(lot);
		if (db_bind_int64(take, 1, t->qty) != SQLITE_OK ||
		    db_bind_int64(take, 2, t->lot_id) != SQLITE_OK ||
		    db_bind_int64(lot, 1, p->parcel_id) != SQLITE_OK ||
		    db_bind_int64(lot, 2, t->lot_id) != SQLITE_OK ||
		    db_bind_int64(lot, 3, t->qty) != SQLITE_OK) {
			db_error(db, "cannot take stock", errbuf, errsz);
			goto out;
		}
		if (db_step(take, "cannot take stock", errbuf, errsz) !=
		    SQLITE_DONE)
			goto out;
		/* Planned in this transaction: the lot cannot have moved. */
		if (sqlite3_changes(db) != 1) {
			errbuf_set(errbuf, errsz, "lot %s of item %s changed "
			    "under us", t->lot, t->item);
			goto out;
		}
		if (db_step(lot, "cannot record the parcel's lots", errbuf,
		    errsz) != SQLITE_DONE)
			goto out;
	}
	p->packed_at = now;
	ret = PACKING_OK;
out:
	sqlite3_finalize(take);
	sqlite3_finalize(parcel);
	sqlite3_finalize(lot);
	return ret;
}

/* "ITEM/LOT xN, ..." for the audit entry, cut with "..." when long. */
static void
takes_detail(const struct packing_parcel *p, char *out, size_t outsz)
{
	size_t i, used = 0;
	const size_t ell = 4;	/* " ..." */

	out[0] = '\0';
	for (i = 0; i < p->ntakes; i++) {
		char piece[CATALOGUE_CODE_MAX + STOCK_LOT_BYTES + 24];
		size_t n;

		if (str_printf(piece, sizeof(piece), "%s%s/%s x%d",
		    i > 0 ? ", " : "", p->takes[i].item, p->takes[i].lot,
		    p->takes[i].qty) < 0)
			continue;
		n = strlen(piece);
		if (used + n + ell >= outsz) {
			if (used + ell < outsz)
				memcpy(out + used, " ...", ell + 1);
			return;
		}
		memcpy(out + used, piece, n + 1);
		used += n;
	}
	if (p->ntakes == 0 && outsz > 8)
		memcpy(out, "no items", 9);
}

enum packing_status
packing_pack(struct store *st, const struct catalogue *cat, const char *ref,
    const char *actor, struct packing_parcel *p, struct packing_report *rep,
    char *errbuf, size_t errsz)
{
	long usable_before[CATALOGUE_ITEMS_MAX];
	struct store_order_row row;
	char detail[AUDIT_DETAIL_MAX];
	enum packing_status ret;
	enum store_status ss;
	sqlite3 *db;
	time_t now, today;
	size_t i;

	if (rep != NULL)
		memset(rep, 0, sizeof(*rep));
	if (st == NULL || cat == NULL || p == NULL) {
		errbuf_set(errbuf, errsz, "no store or catalogue");
		return PACKING_ERR_INVALID;
	}
	memset(p, 0, sizeof(*p));
	db = store_db(st);
	now = clock_now();
	today = stock_day(now);

	if (db_begin(db, errbuf, errsz) != 0)
		return PACKING_ERR_DB;
	ss = store_order_get(st, ref, &row);
	if (ss != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		ret = map_store(ss);
		goto out;
	}
	if (row.status != ORDER_ACCEPTED) {
		errbuf_set(errbuf, errsz, "cannot pack order %s: it is %s "
		    "(only an accepted order can be packed)", row.ref,
		    order_status_name(row.status));
		ret = PACKING_ERR_STATUS;
		goto out;
	}
	ret = load_parcel(st, cat, &row, p, errbuf, errsz);
	if (ret != PACKING_OK)
		goto out;
	if (p->parcel_id != 0) {
		errbuf_set(errbuf, errsz, "order %s already has a parcel",
		    row.ref);
		ret = PACKING_ERR_STATUS;
		goto out;
	}
	memset(usable_before, 0, sizeof(usable_before));
	ret = plan_takes(db, today, p, usable_before, rep, errbuf, errsz);
	if (ret != PACKING_OK)
		goto out;
	ret = write_parcel(db, row.id, now, p, errbuf, errsz);
	if (ret != PACKING_OK)
		goto out;
	ss = store_order_transition_tx(st, row.ref, ORDER_PACKED, actor, NULL);
	if (ss != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		ret = map_store(ss);
		goto out;
	}
	ret = PACKING_ERR_DB;
	takes_detail(p, detail, sizeof(detail));
	if (audit_append(db, actor, "parcel.pack", row.ref, detail, NULL,
	    errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	p->status = ORDER_PACKED;
	ret = PACKING_OK;

	/* Items this packing took under their low threshold. */
	for (i = 0; rep != NULL && i < p->nitems; i++) {
		const struct catalogue_item *it = catalogue_item(cat,
		    p->items[i].item);
		long left = usable_before[i] - p->items[i].qty;

		if (it == NULL || usable_before[i] < it->low || left >= it->low)
			continue;
		memcpy(rep->lows[rep->nlow].item, p->items[i].item,
		    sizeof(rep->lows[rep->nlow].item));
		rep->lows[rep->nlow].left = left;
		rep->lows[rep->nlow].low = it->low;
		rep->nlow++;
	}
out:
	if (ret != PACKING_OK) {
		db_rollback(db);
		/* Nothing was packed: do not hand back a half-filled plan. */
		p->ntakes = 0;
		p->parcel_id = 0;
		p->packed_at = 0;
	}
	return ret;
}

/* ---- shipping ---- */

enum packing_status
packing_ship(struct store *st, const char *ref, const char *carrier_id,
    const char *actor, struct field_error *err, char *errbuf, size_t errsz)
{
	char cid[PACKING_CARRIER_ID_BYTES] = "", detail[64];
	struct store_order_row row;
	sqlite3_stmt *s = NULL;
	enum packing_status ret = PACKING_ERR_DB;
	enum store_status ss;
	int64_t parcel_id = 0;
	sqlite3 *db;
	time_t now;
	int rc;

	if (st == NULL) {
		errbuf_set(errbuf, errsz, "no store");
		return PACKING_ERR_INVALID;
	}
	if (carrier_id != NULL &&
	    packing_carrier_id_check(carrier_id, cid, err) != 0) {
		errbuf_set(errbuf, errsz, "carrier id: %s",
		    err != NULL ? err->msg : "invalid");
		return PACKING_ERR_INVALID;
	}
	db = store_db(st);
	now = clock_now();
	if (db_begin(db, errbuf, errsz) != 0)
		return PACKING_ERR_DB;
	ss = store_order_get(st, ref, &row);
	if (ss != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		ret = map_store(ss);
		goto out;
	}
	if (row.status != ORDER_PACKED) {
		errbuf_set(errbuf, errsz, "cannot ship order %s: it is %s "
		    "(only a packed order can be shipped)", row.ref,
		    order_status_name(row.status));
		ret = PACKING_ERR_STATUS;
		goto out;
	}
	if (db_prepare(db,
	    "SELECT id FROM parcels WHERE order_id = ?", &s, errbuf,
	    errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, row.id) != SQLITE_OK) {
		db_error(db, "cannot read the parcel", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the parcel", errbuf, errsz);
	if (rc == SQLITE_ROW)
		parcel_id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (parcel_id == 0) {
		/*
		 * Marked packed some other way (store_order_transition()
		 * directly): no lots are recorded, but the parcel still goes
		 * out; the audit entry says so.
		 */
		if (db_prepare(db, "INSERT INTO parcels (order_id, carrier, "
		    "status) VALUES (?, ?, 'labelled')", &s, errbuf,
		    errsz) != 0)
			goto out;
		if (db_bind_int64(s, 1, row.id) != SQLITE_OK ||
		    db_bind_text(s, 2, PACKING_CARRIER) != SQLITE_OK) {
			db_error(db, "cannot record the parcel", errbuf, errsz);
			goto out;
		}
		if (db_step(s, "cannot record the parcel", errbuf, errsz) !=
		    SQLITE_DONE)
			goto out;
		parcel_id = sqlite3_last_insert_rowid(db);
		sqlite3_finalize(s);
		s = NULL;
	}
	if (db_prepare(db,
	    "UPDATE parcels SET status = 'shipped', "
	    "shipped_at = ?, carrier_id = ? WHERE id = ?", &s, errbuf,
	    errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, (int64_t)now) != SQLITE_OK ||
	    (cid[0] != '\0' ? db_bind_text(s, 2, cid) :
	    sqlite3_bind_null(s, 2)) != SQLITE_OK ||
	    db_bind_int64(s, 3, parcel_id) != SQLITE_OK) {
		db_error(db, "cannot ship the parcel", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot ship the parcel", errbuf, errsz);
	if (rc != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE) {
			field_error_set(err, "carrier_id", "is already on "
			    "another parcel");
			errbuf_set(errbuf, errsz, "carrier id: is already on "
			    "another parcel");
			ret = PACKING_ERR_INVALID;
		}
		goto out;
	}
	ss = store_order_transition_tx(st, row.ref, ORDER_SHIPPED, actor, NULL);
	if (ss != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		ret = map_store(ss);
		goto out;
	}
	if (str_printf(detail, sizeof(detail), "%s%s", cid[0] != '\0' ?
	    "carrier id " : "no carrier id", cid) < 0) {
		errbuf_set(errbuf, errsz, "audit detail too long");
		goto out;
	}
	if (audit_append(db, actor, "parcel.ship", row.ref, detail, NULL,
	    errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	ret = PACKING_OK;
out:
	sqlite3_finalize(s);
	if (ret != PACKING_OK)
		db_rollback(db);
	return ret;
}

/* ---- recall ---- */

enum packing_status
packing_lot_recipients(struct store *st, const char *item, const char *lot,
    int (*cb)(const struct packing_recipient *r, void *arg), void *arg,
    size_t *n, char *errbuf, size_t errsz)
{
	struct packing_recipient *rows = NULL, *grown;
	char canon[STOCK_LOT_BYTES], code[CATALOGUE_CODE_MAX];
	struct field_error fe;
	sqlite3_stmt *s = NULL;
	enum packing_status ret = PACKING_ERR_DB;
	size_t count = 0, cap = 0, i;
	sqlite3 *db;
	int rc;

	if (n != NULL)
		*n = 0;
	if (st == NULL || cb == NULL) {
		errbuf_set(errbuf, errsz, "no store or callback");
		return PACKING_ERR_INVALID;
	}
	if (stock_lot_check(lot, &fe) != 0) {
		errbuf_set(errbuf, errsz, "lot %s", fe.msg);
		return PACKING_ERR_INVALID;
	}
	/* Lots and items are kept in capitals (stock.c). */
	for (i = 0; lot[i] != '\0'; i++)
		canon[i] = lot[i] >= 'a' && lot[i] <= 'z' ?
		    (char)(lot[i] - ('a' - 'A')) : lot[i];
	canon[i] = '\0';
	if (item != NULL) {
		if (strlen(item) >= sizeof(code)) {
			errbuf_set(errbuf, errsz, "item code too long");
			return PACKING_ERR_INVALID;
		}
		for (i = 0; item[i] != '\0'; i++)
			code[i] = item[i] >= 'a' && item[i] <= 'z' ?
			    (char)(item[i] - ('a' - 'A')) : item[i];
		code[i] = '\0';
	}
	db = store_db(st);

	if (db_prepare(db,
	    "SELECT count(*) FROM stock_lots WHERE lot = ?1 "
	    "AND (?2 IS NULL OR item = ?2)", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, canon) != SQLITE_OK || (item != NULL ?
	    db_bind_text(s, 2, code) : sqlite3_bind_null(s, 2)) != SQLITE_OK) {
		db_error(db, "cannot read lots", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot read lots", errbuf, errsz) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_int64(s, 0) == 0) {
		errbuf_set(errbuf, errsz, "no lot %s%s%s in stock", canon,
		    item != NULL ? " of item " : "", item != NULL ? code : "");
		ret = PACKING_ERR_NOT_FOUND;
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;

	if (db_prepare(db, "SELECT o.ref, o.status, l.item, l.lot, pl.qty, "
	    "p.packed_at, p.shipped_at FROM parcel_lots pl "
	    "JOIN parcels p ON p.id = pl.parcel_id "
	    "JOIN orders o ON o.id = p.order_id "
	    "JOIN stock_lots l ON l.id = pl.lot_id "
	    "WHERE l.lot = ?1 AND (?2 IS NULL OR l.item = ?2) "
	    "ORDER BY p.packed_at, o.id", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, canon) != SQLITE_OK || (item != NULL ?
	    db_bind_text(s, 2, code) : sqlite3_bind_null(s, 2)) != SQLITE_OK) {
		db_error(db, "cannot read parcels", errbuf, errsz);
		goto out;
	}
	/*
	 * Read everything first and call back after finalizing, so the
	 * callback may use the store.
	 */
	for (;;) {
		struct packing_recipient *r;
		char status[16];

		rc = db_step(s, "cannot read parcels", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		if (count == cap) {
			size_t want = cap == 0 ? RECIPIENTS_INITIAL : cap * 2;

			if (cap >= RECIPIENTS_MAX) {
				errbuf_set(errbuf, errsz, "lot %s went into "
				    "more than %d parcels", canon,
				    RECIPIENTS_MAX);
				goto out;
			}
			grown = realloc(rows, want * sizeof(*rows));
			if (grown == NULL) {
				errbuf_set(errbuf, errsz, "out of memory");
				goto out;
			}
			rows = grown;
			cap = want;
		}
		r = &rows[count];
		memset(r, 0, sizeof(*r));
		if (db_column_text(s, 0, r->ref, sizeof(r->ref)) != 0 ||
		    db_column_text(s, 1, status, sizeof(status)) != 0 ||
		    order_status_parse(status, &r->status) != 0 ||
		    db_column_text(s, 2, r->item, sizeof(r->item)) != 0 ||
		    db_column_text(s, 3, r->lot, sizeof(r->lot)) != 0) {
			errbuf_set(errbuf, errsz, "a parcel of lot %s has a "
			    "malformed column", canon);
			goto out;
		}
		r->qty = sqlite3_column_int(s, 4);
		r->packed_at = (time_t)sqlite3_column_int64(s, 5);
		r->shipped_at = (time_t)sqlite3_column_int64(s, 6);
		count++;
	}
	sqlite3_finalize(s);
	s = NULL;
	ret = PACKING_OK;
	for (i = 0; i < count; i++) {
		if (n != NULL)
			(*n)++;
		if (cb(&rows[i], arg) != 0)
			break;
	}
out:
	sqlite3_finalize(s);
	free(rows);
	return ret;
}

/* ---- picking ---- */

struct pick_collect {
	struct store_order_row *rows;
	size_t n;
	size_t max;
};

static int
pick_row(const struct store_order_row *row, void *arg)
{
	struct pick_collect *pc = arg;

	if (pc->n >= pc->max)
		return 1;
	pc->rows[pc->n++] = *row;
	return pc->n >= pc->max;
}

void
packing_pick_free(struct packing_pick *pick)
{
	if (pick == NULL)
		return;
	free(pick->parcels);
	free(pick->takes);
	free(pick);
}

enum packing_status
packing_pick(struct store *st, const struct catalogue *cat, int64_t centre_id,
    int limit, struct packing_pick **out, char *errbuf, size_t errsz)
{
	struct pick_collect pc = { NULL, 0, 0 };
	struct packing_pick *pick = NULL;
	long sum[CATALOGUE_ITEMS_MAX];
	sqlite3_stmt *s = NULL;
	enum packing_status ret = PACKING_ERR_DB;
	enum store_status ss;
	size_t i, k, nitems, cap = 0;
	sqlite3 *db;
	time_t today;
	int rc;

	*out = NULL;
	if (st == NULL || cat == NULL || limit < 1 ||
	    limit > PACKING_PICK_MAX) {
		errbuf_set(errbuf, errsz, "a pick batch is 1 to %d orders",
		    PACKING_PICK_MAX);
		return PACKING_ERR_INVALID;
	}
	nitems = catalogue_nitems(cat);
	if (nitems > CATALOGUE_ITEMS_MAX) {
		errbuf_set(errbuf, errsz, "catalogue has too many items");
		return PACKING_ERR_CATALOGUE;
	}
	db = store_db(st);
	today = stock_day(clock_now());
	pc.max = (size_t)limit;
	pc.rows = calloc(pc.max, sizeof(*pc.rows));
	pick = calloc(1, sizeof(*pick));
	if (pc.rows == NULL || pick == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	ss = store_queue(st, centre_id, ORDER_ACCEPTED, pick_row, &pc);
	if (ss != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		ret = map_store(ss);
		goto out;
	}
	pick->parcels = calloc(pc.n > 0 ? pc.n : 1, sizeof(*pick->parcels));
	if (pick->parcels == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	memset(sum, 0, sizeof(sum));
	for (i = 0; i < pc.n; i++) {
		struct packing_parcel *p = &pick->parcels[i];

		ret = load_parcel(st, cat, &pc.rows[i], p, errbuf, errsz);
		if (ret != PACKING_OK)
			goto out;
		pick->nparcels++;
		for (k = 0; k < p->nitems; k++) {
			long idx = item_index(cat, p->items[k].item);

			if (idx >= 0)
				sum[idx] += p->items[k].qty;
		}
	}

	/* FEFO over the batch: the lots the packings would draw, in turn. */
	ret = PACKING_ERR_DB;
	if (db_prepare(db, fefo_sql, &s, errbuf, errsz) != 0)
		goto out;
	for (i = 0; i < nitems; i++) {
		struct packing_pick_total *t;
		long need = sum[i];

		if (need == 0)
			continue;
		t = &pick->totals[pick->ntotals];
		if (str_copy(t->item, sizeof(t->item),
		    catalogue_item_at(cat, i)->code) != 0) {
			errbuf_set(errbuf, errsz, "item code too long");
			goto out;
		}
		t->need = need;
		t->first_take = pick->ntakes;
		sqlite3_reset(s);
		if (db_bind_text(s, 1, t->item) != SQLITE_OK ||
		    db_bind_int64(s, 2, (int64_t)today) != SQLITE_OK) {
			db_error(db, "cannot read stock", errbuf, errsz);
			goto out;
		}
		while (need > 0) {
			struct packing_take *tk;
			long left, take;

			rc = db_step(s, "cannot read stock", errbuf, errsz);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW)
				goto out;
			if (pick->ntakes == cap) {
				size_t want = cap == 0 ? 64 : cap * 2;
				struct packing_take *grown;

				if (cap >= (size_t)PACKING_PICK_MAX *
				    PACKING_TAKES_MAX) {
					errbuf_set(errbuf, errsz, "the batch "
					    "draws from too many lots");
					goto out;
				}
				grown = realloc(pick->takes,
				    want * sizeof(*grown));
				if (grown == NULL) {
					errbuf_set(errbuf, errsz, "out of "
					    "memory");
					goto out;
				}
				pick->takes = grown;
				cap = want;
			}
			left = (long)sqlite3_column_int64(s, 3);
			take = left < need ? left : need;
			tk = &pick->takes[pick->ntakes];
			memset(tk, 0, sizeof(*tk));
			memcpy(tk->item, t->item, sizeof(tk->item));
			if (db_column_text(s, 1, tk->lot, sizeof(tk->lot)) != 0) {
				errbuf_set(errbuf, errsz, "a lot of item %s is "
				    "malformed", t->item);
				goto out;
			}
			tk->lot_id = sqlite3_column_int64(s, 0);
			if (sqlite3_column_type(s, 2) != SQLITE_NULL)
				tk->expiry = (time_t)sqlite3_column_int64(s, 2);
			tk->qty = (int)take;
			pick->ntakes++;
			t->ntakes++;
			need -= take;
		}
		t->short_by = need;
		pick->ntotals++;
	}
	*out = pick;
	pick = NULL;
	ret = PACKING_OK;
out:
	sqlite3_finalize(s);
	free(pc.rows);
	packing_pick_free(pick);
	return ret;
}
