## doc/local.mk: included from Makefile.am.
##
## Copyright (C) 2026 The libsubproc authors
## SPDX-License-Identifier: LGPL-2.1-or-later
##
## How the manual is split, man pages, the documentation-coverage test,
## what make install leaves out, make installcheck, and the ABI check
## (make check-abi).

## ------------------------------------------------------------------
## How the manual is split: one Texinfo file per part of the tree that
## its text must follow, listed in doc_libsubproc_TEXINFOS by the makefile
## fragment that builds that part.  doc/libsubproc.texi follows the
## library's interface, lib/subproc.h (overview, tutorial, reference,
## platform notes); doc/platforms.texi, the platform summary, follows
## both backends, src/ (Makefile.am); doc/tool.texi follows the subproc
## command, tools/ (tools/local.mk); doc/examples.texi follows the
## example programs, examples/ (examples/local.mk).  A new part with a
## text of its own gets a file of its own the same way; anything else
## goes into doc/libsubproc.texi.

## ------------------------------------------------------------------
## Man pages: subproc(3), the overview, one page per group of functions,
## and a one-line ".so" page for every other function and type, so that
## "man 3 NAME" works for each.  tests/doc-coverage.sh checks that every
## page is listed here.

dist_man3_MANS = \
	doc/man/subproc.3 \
	doc/man/subproc_abort.3 \
	doc/man/subproc_add_arg.3 \
	doc/man/subproc_add_arg_format.3 \
	doc/man/subproc_add_arg_list.3 \
	doc/man/subproc_add_arg_pair.3 \
	doc/man/subproc_add_arg_set.3 \
	doc/man/subproc_add_env_format.3 \
	doc/man/subproc_add_env_pair.3 \
	doc/man/subproc_add_env_pass.3 \
	doc/man/subproc_add_env_pass_common.3 \
	doc/man/subproc_add_env_string.3 \
	doc/man/subproc_add_env_xdg.3 \
	doc/man/subproc_advance.3 \
	doc/man/subproc_allow_cap.3 \
	doc/man/subproc_clear_caps.3 \
	doc/man/subproc_daemonize.3 \
	doc/man/subproc_do_async_io.3 \
	doc/man/subproc_dry_run_begin.3 \
	doc/man/subproc_dry_run_end.3 \
	doc/man/subproc_dry_run_func.3 \
	doc/man/subproc_dry_run_io_t.3 \
	doc/man/subproc_error_name.3 \
	doc/man/subproc_error_t.3 \
	doc/man/subproc_exec.3 \
	doc/man/subproc_free.3 \
	doc/man/subproc_get_arg_list.3 \
	doc/man/subproc_get_error.3 \
	doc/man/subproc_get_gid.3 \
	doc/man/subproc_get_handle.3 \
	doc/man/subproc_get_pass_fd_index.3 \
	doc/man/subproc_get_uid.3 \
	doc/man/subproc_get_usage.3 \
	doc/man/subproc_get_watches.3 \
	doc/man/subproc_gid_t.3 \
	doc/man/subproc_handle_t.3 \
	doc/man/subproc_handshake_notify.3 \
	doc/man/subproc_handshake_wait.3 \
	doc/man/subproc_kill_on_parent_exit.3 \
	doc/man/subproc_last_error.3 \
	doc/man/subproc_new.3 \
	doc/man/subproc_new_arg_list.3 \
	doc/man/subproc_new_args.3 \
	doc/man/subproc_new_process_group.3 \
	doc/man/subproc_new_session.3 \
	doc/man/subproc_new_va_list.3 \
	doc/man/subproc_no_new_privs.3 \
	doc/man/subproc_nonblocking_fds.3 \
	doc/man/subproc_nul_func.3 \
	doc/man/subproc_pass_fd.3 \
	doc/man/subproc_pass_fd_as.3 \
	doc/man/subproc_pid_abort.3 \
	doc/man/subproc_pid_wait.3 \
	doc/man/subproc_poll.3 \
	doc/man/subproc_raw_status.3 \
	doc/man/subproc_regex_func.3 \
	doc/man/subproc_require_handshake.3 \
	doc/man/subproc_run.3 \
	doc/man/subproc_run_async.3 \
	doc/man/subproc_run_nul.3 \
	doc/man/subproc_run_regex.3 \
	doc/man/subproc_send_signal.3 \
	doc/man/subproc_set_apparmor_profile.3 \
	doc/man/subproc_set_argv0.3 \
	doc/man/subproc_set_cgroup.3 \
	doc/man/subproc_set_error_buffer.3 \
	doc/man/subproc_set_error_bytes.3 \
	doc/man/subproc_set_error_fd.3 \
	doc/man/subproc_set_error_file.3 \
	doc/man/subproc_set_error_func.3 \
	doc/man/subproc_set_error_sink.3 \
	doc/man/subproc_set_gid.3 \
	doc/man/subproc_set_grace_period.3 \
	doc/man/subproc_set_input_buffer.3 \
	doc/man/subproc_set_input_bytes.3 \
	doc/man/subproc_set_input_fd.3 \
	doc/man/subproc_set_input_file.3 \
	doc/man/subproc_set_job_memory_limit.3 \
	doc/man/subproc_set_log_func.3 \
	doc/man/subproc_set_max_address_space.3 \
	doc/man/subproc_set_max_core_size.3 \
	doc/man/subproc_set_max_cpu_time.3 \
	doc/man/subproc_set_max_data.3 \
	doc/man/subproc_set_max_files.3 \
	doc/man/subproc_set_max_memlock.3 \
	doc/man/subproc_set_max_output.3 \
	doc/man/subproc_set_max_processes.3 \
	doc/man/subproc_set_output_buffer.3 \
	doc/man/subproc_set_output_bytes.3 \
	doc/man/subproc_set_output_fd.3 \
	doc/man/subproc_set_output_file.3 \
	doc/man/subproc_set_output_sink.3 \
	doc/man/subproc_set_pid_file.3 \
	doc/man/subproc_set_pre_exec_hook.3 \
	doc/man/subproc_set_rlimit.3 \
	doc/man/subproc_set_run_alone.3 \
	doc/man/subproc_set_run_among.3 \
	doc/man/subproc_set_selinux_label.3 \
	doc/man/subproc_set_send_buffer.3 \
	doc/man/subproc_set_timeout.3 \
	doc/man/subproc_set_uid.3 \
	doc/man/subproc_set_umask.3 \
	doc/man/subproc_set_priority.3 \
	doc/man/subproc_set_creation_flags.3 \
	doc/man/subproc_set_working_directory.3 \
	doc/man/subproc_sink_func.3 \
	doc/man/subproc_stage_name.3 \
	doc/man/subproc_strerror.3 \
	doc/man/subproc_t.3 \
	doc/man/subproc_to_string.3 \
	doc/man/subproc_to_string_full.3 \
	doc/man/subproc_uid_t.3 \
	doc/man/subproc_unset_env.3 \
	doc/man/subproc_usage_t.3 \
	doc/man/subproc_version.3 \
	doc/man/subproc_try_wait.3 \
	doc/man/subproc_wait.3 \
	doc/man/subproc_wait_for.3 \
	doc/man/subproc_watch_t.3 \
	doc/man/subproc_write_arg_log.3

## ------------------------------------------------------------------
## Test scripts (.sh) run with the shell, never with Wine or valgrind.

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)

# Every exported function, type and constant has a manual entry and a
# man page.
TESTS += tests/doc-coverage.sh
AM_TESTS_ENVIRONMENT += \
	SUBPROC_DOC_NM='$(NM)'; \
	export SUBPROC_DOC_NM;
EXTRA_DIST += tests/doc-coverage.sh

## ------------------------------------------------------------------
## make install: the shared library (with its soname and symlinks; on
## Windows the DLL in bindir and its import library), the headers
## (subproc.h and the subproc-version.h it includes), the .pc file, the
## programs, the manual, the man pages.  Not libtool's .la
## file, which nothing needs (pkg-config is the way to build against the
## library) and which distributions delete; make uninstall, which
## libtool drives from that file, then removes the library files itself,
## by the names the build's lib/libsubproc.la gives.

install-exec-hook: install-exec-drop-la
install-exec-drop-la:
	rm -f '$(DESTDIR)$(libdir)/libsubproc.la'

uninstall-hook: uninstall-library-files
uninstall-library-files:
	@dlname=`sed -n "s/^dlname='\(.*\)'\$$/\1/p" lib/libsubproc.la`; \
	names=`sed -n "s/^library_names='\(.*\)'\$$/\1/p" lib/libsubproc.la`; \
	case $$dlname in \
	  *.dll) echo " rm -f '$(DESTDIR)$(bindir)/$$dlname'"; \
	         rm -f '$(DESTDIR)$(bindir)'/"$$dlname";; \
	esac; \
	for f in $$names; do \
	  echo " rm -f '$(DESTDIR)$(libdir)/$$f'"; \
	  rm -f '$(DESTDIR)$(libdir)'/"$$f"; \
	done

## ------------------------------------------------------------------
## make installcheck: build tests/installcheck/consumer.c outside the
## build tree against the installed library, with the flags of the
## installed libsubproc.pc (under DESTDIR if one is given), and run it;
## on Windows, under Wine, finding the DLL in bindir.
## scripts/installcheck.sh does a DESTDIR install, this, and checks the
## list of installed files.

installcheck_dir = installcheck.tmp

installcheck-local: installcheck-consumer
installcheck-consumer:
	@rm -rf $(installcheck_dir) && $(MKDIR_P) $(installcheck_dir)
	@pcdir='$(DESTDIR)$(pkgconfigdir)'; \
	test -f "$$pcdir/libsubproc.pc" || { \
	  echo "$$pcdir/libsubproc.pc: not installed" >&2; exit 1; }; \
	flags=`PKG_CONFIG_LIBDIR="$$pcdir" PKG_CONFIG_PATH= \
	  PKG_CONFIG_SYSROOT_DIR='$(DESTDIR)' \
	  $(PKG_CONFIG) --cflags --libs libsubproc` || exit 1; \
	echo "pkg-config --cflags --libs libsubproc: $$flags"; \
	echo "$(CC) $(CFLAGS) -o consumer$(EXEEXT) consumer.c $$flags"; \
	$(CC) $(CFLAGS) -o $(installcheck_dir)/consumer$(EXEEXT) \
	  $(srcdir)/tests/installcheck/consumer.c $$flags || exit 1; \
	exe='$(abs_builddir)/$(installcheck_dir)/consumer$(EXEEXT)'; \
	if test -n '$(EXEEXT)'; then \
	  if test -z '$(WINE)'; then \
	    echo "installcheck: no Wine, the consumer was built but not run"; \
	    exit 0; \
	  fi; \
	  WINEPATH='$(TEST_PATH_PREFIX)$(DESTDIR)$(bindir);$(MINGW_RUNTIME_PATH)' \
	  WINEDEBUG=-all,err+module WINEDLLOVERRIDES='winedbg.exe=d;mscoree,mshtml=' \
	    $(WINE) "$$exe" '$(TEST_PATH_PREFIX)'"$$exe"; \
	else \
	  LD_LIBRARY_PATH='$(DESTDIR)$(libdir)' "$$exe" "$$exe"; \
	fi
	@rm -rf $(installcheck_dir)

EXTRA_DIST += \
	tests/installcheck/consumer.c \
	scripts/installcheck.sh

## ------------------------------------------------------------------
## ABI: abi/libsubproc.abi is the committed baseline (abidw) of the
## public interface, made at the -version-info in abi/version-info.
## make check-abi compares the built library with it (abidiff) and fails
## on a change that -version-info does not account for.

check-abi: all
	$(SHELL) $(srcdir)/scripts/check-abi.sh '$(abs_top_builddir)'

EXTRA_DIST += \
	abi/libsubproc.abi \
	abi/version-info \
	scripts/check-abi.sh

.PHONY: install-exec-drop-la uninstall-library-files installcheck-consumer \
	check-abi
