/* SPDX-License-Identifier: MIT */
/*
 * xfrout.c — see xfrout.h.
 *
 * The stream is a cursor over the zone: (node, RRset, rdata), plus the
 * phase (first SOA, body, last SOA, done). Each call fills one message
 * until the next record does not fit, then signs it. Holding indices rather
 * than pointers across calls is what lets the caller hand in the live
 * version each time and lets us notice when it changed: a generation the
 * zone table replaced is freed at once, so we never keep a pointer to it
 * beyond one call, only compare it. The incremental form of IXFR is a
 * cursor (step, offset) over journal steps the stream holds references
 * to (agent/ixfr.h): those are copies, so it needs no live version at all
 * and is not cut when one is replaced.
 *
 * The question is repeated in the first message only, as knotd does and
 * RFC 5936 §2.2 allows; the header of every message copies the request's
 * ID and opcode with QR and AA set.
 */
#include "agent/xfrout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ixfr.h"
#include "common/serial.h"
#include "common/wire.h"

enum phase { PH_FIRST_SOA = 0, PH_BODY, PH_STEPS, PH_LAST_SOA, PH_DONE };

struct ls_xfrout {
	const struct ls_zone *zone; /* compared only, never dereferenced after a change */
	uint32_t serial;
	uint16_t id, qtype, qclass;
	uint8_t qname[LS_DNAME_MAXLEN]; /* as the client spelt it */
	enum phase phase;
	bool uptodate; /* IXFR from a client at (or past) our serial: SOA alone */
	bool edns; /* the request had an OPT record: a UDP answer carries one (RFC 6891 §7) */
	size_t node, rrset, rdata; /* the cursor in the body */
	/* IXFR in incremental form: the steps (referenced), the cursor in them */
	struct ls_ixfr_diff **steps;
	size_t nsteps, step, off;
	struct ls_tsig tsig;
	uint64_t messages, records;
	struct ls_msg_writer w;
};

/* The serial of the SOA in the IXFR request's authority section. */
static int ixfr_client_serial(const struct ls_msg *q, uint32_t *serial)
{
	struct ls_msg_iter it;
	struct ls_msg_rr *rr = malloc(sizeof(*rr));
	int r, err = -EINVAL;

	if (!rr)
		return -ENOMEM;
	ls_msg_iter_init(&it, q, LS_SECTION_AUTHORITY);
	while ((r = ls_msg_iter_next(&it, rr)) == 1) {
		size_t off;

		if (rr->type != LS_TYPE_SOA)
			continue;
		/*
		 * The parser checked the names of a non-empty SOA, but it lets
		 * an empty RDATA through in classes NONE and ANY (UPDATE uses
		 * them): two root names and the five numbers at least.
		 */
		if (rr->rdlen < 22)
			break;
		off = ls_dname_len(rr->rdata);
		off += ls_dname_len(rr->rdata + off);
		if (off + 20 > rr->rdlen)
			break;
		*serial = ls_get32(rr->rdata + off);
		err = 0;
		break;
	}
	free(rr);
	return err;
}

/*
 * Answer an IXFR from @have incrementally when the journal leads from
 * there to our serial, and the steps together are not larger than the
 * zone (then the AXFR form is the cheaper answer, RFC 1995 §4).
 */
static void ixfr_steps(struct ls_xfrout *x, const struct ls_ixfr *journal,
		       const struct ls_zone *zone, uint32_t have)
{
	size_t records = 0;

	if (!journal ||
	    ls_ixfr_steps(journal, ls_zone_origin(zone), have, x->serial, &x->steps, &x->nsteps))
		return;
	for (size_t i = 0; i < x->nsteps; i++)
		records += x->steps[i]->ndel + x->steps[i]->nadd + 2;
	if (records > ls_zone_record_count(zone)) {
		ls_ixfr_steps_put(x->steps, x->nsteps);
		x->steps = NULL;
		x->nsteps = 0;
	}
}

int ls_xfrout_new(const struct ls_msg *q, const struct ls_zone *zone, const struct ls_ixfr *journal,
		  struct ls_tsig *tsig, struct ls_xfrout **out)
{
	struct ls_xfrout *x;

	*out = NULL;
	if (!zone || q->count[LS_SECTION_QUESTION] != 1 ||
	    (q->qtype != LS_TYPE_AXFR && q->qtype != LS_TYPE_IXFR) ||
	    !ls_dname_equal(q->qname, ls_zone_origin(zone)))
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->zone = zone;
	x->serial = ls_zone_serial(zone);
	x->id = q->id;
	x->qtype = q->qtype;
	x->qclass = q->qclass;
	x->edns = q->has_edns;
	memcpy(x->qname, q->qname, q->qname_len);
	if (q->qtype == LS_TYPE_IXFR) {
		uint32_t have;

		/* RFC 1995 §3: an IXFR without the client's SOA is malformed */
		if (ixfr_client_serial(q, &have)) {
			free(x);
			return -EINVAL;
		}
		x->uptodate = !ls_serial_newer(x->serial, have);
		if (!x->uptodate)
			ixfr_steps(x, journal, zone, have);
	}
	if (tsig) {
		x->tsig = *tsig; /* moved: the running MAC now belongs to us */
		ls_tsig_init(tsig, NULL);
	} else {
		ls_tsig_init(&x->tsig, NULL);
	}
	*out = x;
	return 0;
}

static int put_step_rr(struct ls_xfrout *x, const struct ls_ixfr_diff *d, size_t off, size_t *next);

/* Our SOA: an incremental stream takes it from its last step, not the zone. */
static int put_soa(struct ls_xfrout *x, const struct ls_zone *z)
{
	const struct ls_zone_node *apex;
	const struct ls_zone_rrset *soa;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	size_t next;

	if (x->nsteps) {
		const struct ls_ixfr_diff *last = x->steps[x->nsteps - 1];

		return put_step_rr(x, last, last->new_soa, &next);
	}
	apex = ls_zone_apex(z);
	soa = ls_zone_node_rrset(z, apex, LS_TYPE_SOA);
	if (!soa)
		return -EINVAL;
	ls_zone_rdata_begin(z, soa, &it);
	if (!ls_zone_rdata_next(&it, &rd, &len))
		return -EINVAL;
	return ls_msg_put_rr(&x->w, LS_SECTION_ANSWER, ls_zone_node_name(z, apex), LS_TYPE_SOA,
			     LS_CLASS_IN, soa->ttl, rd, len);
}

/* One record of a step, at the step cursor. */
static int put_step_rr(struct ls_xfrout *x, const struct ls_ixfr_diff *d, size_t off, size_t *next)
{
	struct ls_ixfr_rr rr;

	*next = ls_ixfr_rr_next(d, off, &rr);
	if (!*next)
		return -EINVAL;
	return ls_msg_put_rr(&x->w, LS_SECTION_ANSWER, rr.owner, rr.type, LS_CLASS_IN, rr.ttl,
			     rr.rdata, rr.rdlen);
}

/*
 * Fill the message with the steps from the cursor on: each one is already
 * laid out as RFC 1995 §4 wants (old SOA, deletions, new SOA, additions).
 * 0, or -ENOSPC when full.
 */
static int put_steps(struct ls_xfrout *x)
{
	for (; x->step < x->nsteps; x->step++, x->off = 0) {
		const struct ls_ixfr_diff *d = x->steps[x->step];

		while (x->off < d->len) {
			size_t next;
			int err = put_step_rr(x, d, x->off, &next);

			if (err)
				return err;
			x->off = next;
			x->records++;
		}
	}
	return 0;
}

/* Fill the message with body records from the cursor on. 0, or -ENOSPC when full. */
static int put_body(struct ls_xfrout *x, const struct ls_zone *z)
{
	size_t nnodes = ls_zone_node_count(z);

	for (; x->node < nnodes; x->node++, x->rrset = 0, x->rdata = 0) {
		const struct ls_zone_node *n = ls_zone_node_at(z, x->node);
		const uint8_t *owner = ls_zone_node_name(z, n);
		size_t nsets;
		const struct ls_zone_rrset *sets = ls_zone_node_rrsets(z, n, &nsets);

		for (; x->rrset < nsets; x->rrset++, x->rdata = 0) {
			const struct ls_zone_rrset *s = &sets[x->rrset];
			struct ls_zone_rdata_iter it;
			const uint8_t *rd;
			uint16_t len;
			size_t k = 0;

			if (x->node == 0 && s->type == LS_TYPE_SOA)
				continue; /* it opens and closes the stream */
			ls_zone_rdata_begin(z, s, &it);
			while (ls_zone_rdata_next(&it, &rd, &len)) {
				int err;

				if (k++ < x->rdata)
					continue;
				err = ls_msg_put_rr(&x->w, LS_SECTION_ANSWER, owner, s->type,
						    LS_CLASS_IN, s->ttl, rd, len);
				if (err)
					return err;
				x->rdata++;
				x->records++;
			}
		}
	}
	return 0;
}

/*
 * Add records to the message from the cursor. A record that does not fit
 * in an empty message (a huge TXT, say) gets a message of up to 64 KiB.
 */
static int fill(struct ls_xfrout *x, const struct ls_zone *z)
{
	int err = 0;

	while (x->phase != PH_DONE) {
		switch (x->phase) {
		case PH_FIRST_SOA:
		case PH_LAST_SOA:
			err = put_soa(x, z);
			if (err)
				break;
			x->records++;
			if (x->uptodate || x->phase == PH_LAST_SOA)
				x->phase = PH_DONE;
			else
				x->phase = x->nsteps ? PH_STEPS : PH_BODY;
			continue;
		case PH_STEPS:
			err = put_steps(x);
			if (err)
				break;
			x->phase = PH_LAST_SOA;
			continue;
		case PH_BODY:
			err = put_body(x, z);
			if (err)
				break;
			x->phase = PH_LAST_SOA;
			continue;
		case PH_DONE:
			break;
		}
		break;
	}
	if (err == -ENOSPC && x->w.count[LS_SECTION_ANSWER] == 0 && x->w.limit < x->w.size) {
		ls_msg_unreserve(&x->w, LS_TSIG_MAX_RR_LEN);
		x->w.limit = x->w.size;
		if (ls_msg_reserve(&x->w, LS_TSIG_MAX_RR_LEN))
			return -ENOSPC;
		return fill(x, z);
	}
	if (err == -ENOSPC && x->w.count[LS_SECTION_ANSWER] > 0)
		return 0; /* full: the rest goes into the next message */
	return err;
}

int ls_xfrout_next(struct ls_xfrout *x, const struct ls_zone *zone, uint64_t now, uint8_t *buf,
		   size_t cap)
{
	size_t len;
	int err;

	if (x->phase == PH_DONE)
		return 0;
	/* the incremental form sends its own copies: a newer version does not cut it */
	if (!x->nsteps && (zone != x->zone || ls_zone_serial(zone) != x->serial))
		return -ESTALE;
	if (cap < LS_XFROUT_BUF_SIZE)
		return -ENOSPC;
	err = ls_msg_writer_init(&x->w, buf, cap);
	if (err)
		return err;
	ls_msg_set_header(&x->w, x->id,
			  LS_FLAG_QR | LS_FLAG_AA | (LS_OPCODE_QUERY << LS_OPCODE_SHIFT));
	if (x->messages == 0) {
		err = ls_msg_put_question(&x->w, x->qname, x->qtype, x->qclass);
		if (err)
			return err;
	}
	err = ls_msg_set_limit(&x->w, LS_XFROUT_MSG_SIZE);
	if (!err)
		err = ls_msg_reserve(&x->w, LS_TSIG_MAX_RR_LEN);
	if (!err)
		err = fill(x, zone);
	if (err)
		return err;
	ls_msg_unreserve(&x->w, LS_TSIG_MAX_RR_LEN);
	len = ls_msg_len(&x->w);
	if (x->tsig.key) {
		err = ls_tsig_sign(&x->tsig, buf, &len, cap, now, 0);
		if (err)
			return err;
	}
	x->messages++;
	return (int)len;
}

/*
 * One UDP message of at most @limit octets from the cursor: header,
 * question, what fill() puts in with room kept for the OPT and the TSIG.
 * -ENOSPC when the stream does not end in it.
 */
static int udp_message(struct ls_xfrout *x, uint8_t *buf, size_t limit, size_t room)
{
	int err = ls_msg_writer_init(&x->w, buf, limit);

	if (err)
		return err;
	ls_msg_set_header(&x->w, x->id,
			  LS_FLAG_QR | LS_FLAG_AA | (LS_OPCODE_QUERY << LS_OPCODE_SHIFT));
	err = ls_msg_put_question(&x->w, x->qname, x->qtype, x->qclass);
	if (!err)
		err = ls_msg_reserve(&x->w, room);
	if (!err)
		err = fill(x, x->zone);
	if (!err && x->phase != PH_DONE)
		err = -ENOSPC;
	if (!err)
		ls_msg_unreserve(&x->w, room);
	return err;
}

int ls_xfrout_udp(struct ls_xfrout *x, uint64_t now, uint8_t *buf, size_t limit, bool *incremental)
{
	const struct ls_msg_edns opt = { .udp_size = LS_XFROUT_EDNS_PAYLOAD };
	size_t room = ls_tsig_room(&x->tsig) + (x->edns ? ls_msg_opt_size(&opt) : 0), len;
	int err = -ENOSPC;

	*incremental = false;
	if (x->phase != PH_FIRST_SOA || x->messages || x->qtype != LS_TYPE_IXFR)
		return -EINVAL;
	if (x->nsteps)
		err = udp_message(x, buf, limit, room);
	if (err == -ENOSPC) {
		/*
		 * RFC 1995 §2: an answer too large for UDP (or the AXFR form,
		 * which never fits) is our SOA alone, and the client asks
		 * again over TCP. Every step's last SOA is the zone's own.
		 */
		x->phase = PH_FIRST_SOA;
		x->uptodate = true;
		x->step = x->off = 0;
		x->records = 0;
		err = udp_message(x, buf, limit, room);
	} else if (!err) {
		*incremental = true;
	}
	if (!err && x->edns)
		err = ls_msg_put_opt(&x->w, &opt);
	if (err)
		return err;
	len = ls_msg_len(&x->w);
	if (x->tsig.key) {
		err = ls_tsig_sign(&x->tsig, buf, &len, limit, now, 0);
		if (err)
			return err;
	}
	x->messages++;
	return (int)len;
}

uint32_t ls_xfrout_serial(const struct ls_xfrout *x)
{
	return x->serial;
}

uint64_t ls_xfrout_messages(const struct ls_xfrout *x)
{
	return x->messages;
}

uint64_t ls_xfrout_records(const struct ls_xfrout *x)
{
	return x->records;
}

bool ls_xfrout_uptodate(const struct ls_xfrout *x)
{
	return x->uptodate;
}

size_t ls_xfrout_incremental(const struct ls_xfrout *x)
{
	return x->nsteps;
}

void ls_xfrout_free(struct ls_xfrout *x)
{
	if (!x)
		return;
	ls_tsig_clear(&x->tsig);
	ls_ixfr_steps_put(x->steps, x->nsteps);
	free(x);
}
