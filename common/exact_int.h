/* exact_int: the largest integer a JSON number (an IEEE 754 double) holds exactly — and so
 * the largest id, count or timestamp the services accept from a client or hand out. */
#ifndef ECOMOVEX_EXACT_INT_H
#define ECOMOVEX_EXACT_INT_H

#define EXACT_INT_MAX 9007199254740991LL /* 2^53 - 1 */

#endif
