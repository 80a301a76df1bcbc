/* common_passwords: the list accounts_password_is_common searches (lower case, sorted). */
#ifndef COMMON_PASSWORDS_H
#define COMMON_PASSWORDS_H

#include <stddef.h>

#define COMMON_PASSWORD_MAX 32 /* longest entry, bytes; longer passwords are never in the list */

extern const char *const common_passwords[];
extern const size_t common_passwords_count;

#endif
