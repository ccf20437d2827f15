## fuzz/local.mk: included from Makefile.am.
