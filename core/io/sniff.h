/* What a feature file that is not .npy looks like, and what to do.
 *
 * Users arrive with the files their tools write: CSV from a spreadsheet or
 * np.savetxt, .npz from np.savez, .pt from torch.save (a zip archive since
 * PyTorch 1.6, a pickle before), .h5 from h5py or Keras. The .npy reader
 * calls sc_sniff_format on a file whose magic is not "\x93NUMPY" so its
 * one-line error names the format found and the conversion to .npy,
 * instead of a generic "bad magic".
 *
 * Signatures: zip "PK\x03\x04" (torch when an entry name ends in
 * "data.pkl" within the first bytes, else .npz or another zip), pickle
 * "\x80" + protocol 2..5, HDF5 "\x89HDF\r\n\x1a\n", gzip "\x1f\x8b",
 * text when the first bytes are printable ASCII or UTF-8 with line
 * breaks (CSV when they hold a ',', ';' or tab). */
#ifndef SC_SNIFF_H
#define SC_SNIFF_H

#include <stddef.h>

/* Write "it looks like <format>; <what to do>" for the first n bytes b of
 * the file path (named in the conversion command) into buf (always
 * NUL-terminated). */
void sc_sniff_format(const unsigned char *b, size_t n, const char *path,
                     char *buf, size_t cap);

#endif
