/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the chronyd tracking reply decoder. The sequence number it expects
 * is taken from the input's own sequence field unless the low bit of res1
 * (zero in every real reply) is set, so the
 * fuzzer reaches the field checks rather than stopping at -ENOMSG. What
 * decodes must hold the promised ranges.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/chrony.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_chrony_tracking t;
	uint32_t seq = 0x12345678u;
	int err;

	if (size >= 20 && !(data[2] & 1))
		seq = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
		      (uint32_t)data[18] << 8 | data[19];
	err = ls_chrony_tracking_parse(data, size, seq, &t);
	if (err)
		return 0;
	if (size != LS_CHRONY_TRACKING_LEN || t.stratum > 16 || t.leap > LS_CHRONY_LEAP_UNSYNC ||
	    t.family > LS_CHRONY_FAMILY_ID || t.ref_time_nsec > 999999999u || t.ref_time_sec < 0)
		abort();
	if (!isfinite(t.current_correction) || !isfinite(t.freq_ppm) || !(t.root_delay >= 0.0) ||
	    !(t.root_dispersion >= 0.0) || !(t.rms_offset >= 0.0) || !(t.skew_ppm >= 0.0) ||
	    !(t.last_update_interval >= 0.0))
		abort();
	(void)ls_chrony_leap_name(t.leap);
	return 0;
}
