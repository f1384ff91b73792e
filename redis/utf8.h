/* UTF-8 sequence check shared by the request parser and the JSON writer. */
#ifndef VC_UTF8_H
#define VC_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1 for ASCII), 0 when it is invalid or
 * cut short by left: overlong forms, surrogates and code points above U+10FFFF are
 * invalid. left must be at least 1. */
size_t utf8_seq(const unsigned char *p, size_t left);

#endif
