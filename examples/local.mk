## examples/local.mk: included from Makefile.am.
