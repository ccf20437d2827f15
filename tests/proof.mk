## tests/proof.mk: included from Makefile.am.
##
## Copyright (C) 2026 The libsubproc authors
## SPDX-License-Identifier: LGPL-2.1-or-later
##
## The library under faults and load: every allocation failing in turn
## (tests/oom), a storm of spawns from many threads (tests/storm), the
## caller's calls against the library's I/O thread at a deadline
## (tests/race), and the caller's signal dispositions and a signal storm
## (tests/signals).
## They are ordinary Check suites, run by make check with the others.

# Suites for every platform.
subproc_proof_tests = \
	tests/oom \
	tests/storm \
	tests/race

# Suites for the POSIX backend only.
subproc_proof_posix_tests = \
	tests/signals

if ENABLE_TESTS
check_PROGRAMS += $(subproc_proof_tests)
TESTS += $(subproc_proof_tests)
if SUBPROC_POSIX
check_PROGRAMS += $(subproc_proof_posix_tests)
TESTS += $(subproc_proof_posix_tests)
endif
endif

# make check-storm: the storm alone (make check runs it too, on every
# platform).  Under Wine it once failed now and then: CreateProcessW
# called from several threads at once sometimes fails there with
# ERROR_INTERNAL_ERROR, and a child's last output could be dropped when
# the I/O threads were slow to run; src/win32/spawn.c (create_process)
# and src/win32/io.c (sp_backend_io_wait) deal with both.
check-storm:
	$(AM_V_at)$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/storm$(EXEEXT)'

# make check-oom: the allocation-failure suite alone, with its summary
# (allocation sites failed per case).  make check runs it too.  Run it in a
# build configured with -fsanitize=address (LeakSanitizer finds what a
# failure leaked), or give VALGRIND='valgrind -q --error-exitcode=1
# --leak-check=full --errors-for-leak-kinds=definite'.
check-oom:
	$(AM_V_at)rc=0; \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/oom$(EXEEXT)' || rc=$$?; \
	grep -h -e '^oom ' -e '^[0-9]*%: Checks:' -e ':[FE]:' tests/oom.log; \
	exit $$rc

.PHONY: check-oom check-storm
