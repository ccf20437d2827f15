/* binary-input.c: feed binary data to a command and collect binary output.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   binary-input PROGRAM [ARG]...
 *
 * Feeds 1024 bytes holding every byte value, NUL bytes included, to the
 * standard input of PROGRAM, collects its standard output byte for byte,
 * and tells whether what came back is what was sent.  With a filter that
 * copies its input, such as cat, it is:
 *
 *   $ ./binary-input cat
 *   sent 1024 bytes, received 1024 bytes: identical
 *
 * The string forms (subproc_set_input_buffer, subproc_set_output_buffer)
 * stop at the first NUL byte; the byte forms used here take and return
 * lengths, for programs such as gzip -c, gpg or an image converter whose
 * input and output are not text.
 *
 * Exit status: 0 if the command ran and exited with status 0, 1
 * otherwise.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <subproc.h>

#define DATA_SIZE 1024

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s PROGRAM [ARG]...\n", argv[0]);
      return 1;
    }

  /* Every byte value four times: 0, 1, ..., 255, 0, 1, ...  */
  unsigned char data[DATA_SIZE];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (unsigned char) (i % 256);

  subproc_t *cmd = subproc_new_args ((const char *const *) argv + 1);

  /* The data is copied into the command at once: DATA could be freed or
     reused right after this call.  */
  subproc_set_input_bytes (cmd, data, sizeof data);

  /* OUT receives a malloc'ed buffer and OUT_LEN its length.  The library
     still puts a NUL byte after the last one, which does not count in
     OUT_LEN.  */
  char *out = NULL;
  size_t out_len = 0;
  subproc_set_output_bytes (cmd, &out, &out_len);

  /* Error output is captured too: with no status pointer, a non-zero
     exit is an error whose message ends with what the child wrote on its
     standard error.  */
  char *err = NULL;
  subproc_set_error_buffer (cmd, &err);

  int ret = subproc_run (cmd, NULL);
  if (ret < 0)
    fprintf (stderr, "binary-input: %s\n", subproc_get_error (cmd)->message);
  else
    printf ("sent %zu bytes, received %zu bytes: %s\n", sizeof data,
            out_len,
            out_len == sizeof data && memcmp (out, data, out_len) == 0
            ? "identical" : "different");

  free (out);
  free (err);
  subproc_free (cmd);
  return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
