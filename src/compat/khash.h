/*
 * Debian's libh2o-dev-common installs h2o/http2_internal.h, which includes klib's "khash.h",
 * but does not install khash.h. omote needs that header for the layout of h2o_http2_conn_t
 * (src/server/guard.c reads its published fields) and never touches the stream table itself,
 * which is the one thing khash describes there. This stand-in makes the header compile and
 * keeps the table opaque: the one inline function of libh2o's header that would look into it
 * (h2o_http2_conn_get_stream) refers to a function that exists nowhere, so any use of it fails
 * to link instead of reading memory laid out by a hash table omote does not have.
 */
#ifndef OMOTE_COMPAT_KHASH_H
#define OMOTE_COMPAT_KHASH_H

typedef unsigned int khint_t;
typedef khint_t khiter_t;

#define khash_t(name) struct omote_opaque_khash_##name
#define KHASH_MAP_INIT_INT64(name, value_type) khash_t(name);

khiter_t omote_libh2o_stream_table_is_opaque(void); /* deliberately never defined */

#define kh_get(name, table, key) ((void)(table), (void)(key), omote_libh2o_stream_table_is_opaque())
#define kh_end(table) ((void)(table), (khiter_t)0)
#define kh_val(table, iter) ((void)(table), (void)(iter), (void *)0)

#endif
