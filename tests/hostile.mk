## tests/hostile.mk: included from Makefile.am.
##
## Copyright (C) 2026 The libsubproc authors
## SPDX-License-Identifier: LGPL-2.1-or-later
##
## The hostile-input matrix (tests/hostile.c): a suite for every
## platform, its platform-specific rows chosen inside.

subproc_tests += tests/hostile
