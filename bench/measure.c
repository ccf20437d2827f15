/* measure.c: make bench's interleaved measurement and its rows.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* Results.  */

const char *const unit_name[] = { "us", "ms", "MiB/s", "ops/s",
                                  "MiB", "n", "KiB" };

row_t rows[400];
size_t n_rows;
bool any_failed;

row_t *
add_row (int fig, const char *what, int m, enum unit unit)
{
  if (n_rows == sizeof rows / sizeof rows[0])
    die ("too many rows");
  row_t *r = &rows[n_rows++];
  memset (r, 0, sizeof *r);
  r->fig = fig;
  copy_str (r->what, sizeof r->what, what);
  r->method = m;
  r->unit = unit;
  r->value = -1;
  return r;
}

row_t *
find_row (int fig, const char *what, int m)
{
  for (size_t i = 0; i < n_rows; i++)
    if (rows[i].fig == fig && rows[i].method == m
        && strcmp (rows[i].what, what) == 0)
      return &rows[i];
  return NULL;
}

double
value_of (int fig, const char *what, int m)
{
  row_t *r = find_row (fig, what, m);
  return r ? r->value : -1;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
median (double *v, int n)
{
  if (n <= 0)
    return -1;
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------ */
/* Interleaved measurement of several (method, task) cells.  */

/* Bytes of memory to make warm before each timed operation (figure 4).
   On a VM whose guest reports free pages to the host (virtio free page
   reporting, as on this project's machines), memory that stayed free for
   a couple of seconds is given back, and touching it again costs a
   host-side fault on top of the guest's: several times a normal page
   fault.  A method that runs after others that allocated nothing would
   then pay for that, and one that follows a large free would not: the
   order of the methods, not the methods, would decide.  So before each
   operation of a capture figure, as much memory as it will fill is
   touched and freed again, untimed.  */
size_t warm_bytes;

static void
warm_memory (size_t len)
{
  if (len == 0)
    return;
  char *p = mmap (NULL, len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p != MAP_FAILED)
    munmap (p, len);
}

void
measure (cell_t *cells, int n_cells, int max_rounds, int min_rounds,
         double budget)
{
  for (int c = 0; c < n_cells; c++)
    {
      cells[c].samples = calloc ((size_t) max_rounds, sizeof (double));
      if (cells[c].samples == NULL)
        die ("out of memory");
      cells[c].n = 0;
      cells[c].state = OP_OK;
      cells[c].why[0] = '\0';
      if (method_missing (cells[c].method))
        {
          cells[c].state = OP_NA;
          snprintf (cells[c].why, WHY_LEN, "skipped: %s",
                    method_missing (cells[c].method));
        }
    }
  /* One round untimed: page in the programs and the libraries.  */
  for (int c = 0; c < n_cells; c++)
    if (cells[c].state == OP_OK)
      cells[c].state = run_task (cells[c].method, cells[c].task,
                                 cells[c].why);

  double start = now_s ();
  for (int round = 0; round < max_rounds; round++)
    {
      if (round >= min_rounds && now_s () - start > budget)
        break;
      /* Rotate the order so that no method always follows another.  */
      for (int k = 0; k < n_cells; k++)
        {
          cell_t *c = &cells[(k + round) % n_cells];
          if (c->state != OP_OK)
            continue;
          warm_memory (warm_bytes);
          double t0 = now_s ();
          int r = run_task (c->method, c->task, c->why);
          double t1 = now_s ();
          if (r != OP_OK)
            {
              c->state = r;
              continue;
            }
          c->samples[c->n++] = t1 - t0;
        }
    }
}

/* Turn CELLS into rows of figure FIG, case WHAT; ratios to BASE_METHOD's
   cell (or none when BASE_METHOD < 0).  */
void
cells_to_rows (cell_t *cells, int n_cells, int fig, const char *what,
               enum unit unit, double bytes, int base_method)
{
  double base = -1;
  for (int c = 0; c < n_cells; c++)
    {
      cell_t *cl = &cells[c];
      row_t *r = add_row (fig, what, cl->method, unit);
      r->n = cl->n;
      if (cl->state == OP_NA)
        copy_str (r->note, sizeof r->note, cl->why);
      else if (cl->state == OP_FAILED || cl->n == 0)
        {
          snprintf (r->note, sizeof r->note, "FAILED: %.180s", cl->why);
          r->failed = true;
          any_failed = true;
        }
      else
        {
          double med = median (cl->samples, cl->n);
          switch (unit)
            {
            case U_US:
              r->value = med * 1e6;
              break;
            case U_MS:
              r->value = med * 1e3;
              break;
            case U_MIBS:
              r->value = bytes / MIB / med;
              break;
            case U_PER_S:
              r->value = 1 / med;
              break;
            case U_MIB:
            default:
              r->value = med;
              break;
            }
          if (cl->method == base_method)
            base = r->value;
        }
      free (cl->samples);
      cl->samples = NULL;
    }
  if (base_method < 0 || base <= 0)
    return;
  for (size_t i = n_rows - (size_t) n_cells; i < n_rows; i++)
    if (rows[i].value > 0)
      {
        rows[i].ratio = rows[i].value / base;
        snprintf (rows[i].vs, sizeof rows[i].vs, "%s",
                  method_name[base_method]);
      }
}
