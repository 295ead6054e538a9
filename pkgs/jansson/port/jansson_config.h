/* jansson_config.h (the public part of the configuration, installed with jansson.h), filled in
   by hand from src/jansson_config.h.in for wasm32-wasip1. */
#ifndef JANSSON_CONFIG_H
#define JANSSON_CONFIG_H

#define JSON_INLINE inline
#define JSON_INTEGER_IS_LONG_LONG 1
#define JSON_HAVE_LOCALECONV 1
/* wasm32 has the __atomic builtins; with one thread they cost nothing. */
#define JSON_HAVE_ATOMIC_BUILTINS 1
#define JSON_HAVE_SYNC_BUILTINS 1
#define JSON_PARSER_MAX_DEPTH 2048

#endif
