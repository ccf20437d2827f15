/* crt-model.h: reference models of how Windows programs split their
 * command line, written for the fuzz targets.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SUBPROC_FUZZ_CRT_MODEL_H
#define SUBPROC_FUZZ_CRT_MODEL_H

#include "fuzz.h"

/* The rules of the Microsoft C runtime.  With OLD false, those of
   msvcr90 (Visual C++ 2008) and later and of the UCRT: "" inside quotes
   is a literal quote and quoting goes on.  With OLD true, those of
   msvcrt.dll: "" inside quotes is a literal quote and ends the quoting.
   argv[0] follows its own rule either way: quotes toggle, nothing
   escapes, a blank outside quotes ends it.  */
fuzz_strv_t model_crt_split (const char *line, bool old);

/* The rules of CommandLineToArgvW: argv[0] is everything up to the next
   quote when the line starts with one (the next argument starts right
   after it), else everything up to the first blank; the other arguments
   as msvcrt.dll splits them, in the form "three quotes in a row give
   one".  */
fuzz_strv_t model_cltaw_split (const char *line);

/* Do A and B hold the same strings?  */
bool fuzz_strv_equal (const fuzz_strv_t *a, char *const *b, size_t n);

/* Print V on stderr, one escaped string a line, under LABEL.  */
void fuzz_strv_print (const char *label, char *const *v, size_t n);

#endif /* SUBPROC_FUZZ_CRT_MODEL_H */
