## doc/local.mk: included from Makefile.am.
