/* Reading one array out of a NumPy .npz archive (np.savez,
 * np.savez_compressed).
 *
 * A feature path names an .npz member in one of two ways:
 *     feats.npz        the archive's only array (an error lists the
 *                      names when it holds several)
 *     feats.npz:KEY    the array saved as KEY (np.savez(f, KEY=a)), i.e.
 *                      the member "KEY.npy"
 * The .npy reader (npy.c) hands such paths here and parses the returned
 * bytes exactly like a .npy file, so every dtype, order and check of
 * npy.h applies.
 *
 * Archive format: PKWARE APPNOTE.TXT 6.3 (zip), the subset numpy writes
 * through Python's zipfile: end of central directory (with the zip64
 * locator and record), central directory entries (zip64 extra field 0x0001
 * for sizes/offsets of 0xFFFFFFFF, which numpy forces in local headers),
 * local file headers, methods 0 (stored, np.savez) and 8 (raw deflate,
 * np.savez_compressed, inflated with zlib). The CRC-32 of every member read
 * is verified. Encrypted members and multi-disk archives are refused. */
#ifndef SC_NPZ_H
#define SC_NPZ_H

#include <stddef.h>

#include "err.h"

/* 1 if path names an .npz archive or member (ends in ".npz" or contains
 * ".npz:"), else 0. */
int sc_npz_is_npz(const char *path);

/* The file-system part of such a path (without ":KEY") into buf; SC_EINVAL
 * if it does not fit. For any other path, a copy of it. */
int sc_npz_file(const char *path, char *buf, size_t cap, sc_err *err);

/* The bytes of the selected member (a complete .npy file) in an
 * sc_malloc'ed buffer *data of *len bytes, which the caller frees with
 * sc_free. Statuses: SC_EIO (missing or unreadable file, not a zip, no or
 * ambiguous member, unsupported method, bad CRC or sizes; one line naming
 * the path and what to do), SC_ENOMEM. */
int sc_npz_read(const char *path, unsigned char **data, size_t *len,
                sc_err *err);

#endif
