## tools/local.mk: included from Makefile.am.
