/* pcre2.h: upstream ships it ready-made as pcre2.h.generic (installed beside this file). */
#include "pcre2.h.generic"
