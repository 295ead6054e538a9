/* The default character tables for the C locale, which upstream ships as pcre2_chartables.c.dist
   (configure copies it; pcre2_dftables would regenerate it for another locale). */
#include "pcre2_chartables.c.dist"
