/* common_passwords: passwords of 8 or more characters found at the top of published
 * breach-frequency lists (the NCSC top-100k and SecLists' most-common lists), plus the
 * Vietnamese ones our users would pick ("matkhau" is "password", "anhyeuem" "I love you")
 * and this app's own name. Lower case, sorted bytewise, for accounts_password_is_common.
 * Kept short on purpose: it stops the first guesses of an online attack; the login
 * limits stop the rest. */
#include "common_passwords.h"

const char *const common_passwords[] = {
    "00000000",      "0123456789", "11111111",   "1111111111", "11223344",    "123123123",  "12341234",  "12344321",
    "12345678",      "123456789",  "1234567890", "123456789a", "123456789vn", "12345678a",  "123456aa",  "1234abcd",
    "1234qwer",      "123654789",  "123qweasd",  "147258369",  "1q2w3e4r",    "1q2w3e4r5t", "1qaz2wsx",  "1qazxsw2",
    "22222222",      "55555555",   "66666666",   "77777777",   "87654321",    "88888888",   "987654321", "99999999",
    "a123456789",    "a1b2c3d4",   "aa123456",   "abc12345",   "abc123456",   "abcd1234",   "admin123",  "admin1234",
    "administrator", "anhyeuem",   "anhyeuem1",  "arsenal1",   "asdfasdf",    "asdfghjkl",  "baseball",  "basketball",
    "changeme",      "changeme1",  "charlie1",   "chelsea1",   "computer",    "ecomovex",   "ecomovex1", "ecomovex123",
    "emyeuanh",      "football",   "hanoi123",   "iloveyou",   "iloveyou1",   "internet",   "jennifer",  "jordan23",
    "letmein1",      "liverpool",  "master123",  "matkhau1",   "matkhau123",  "michelle",   "p@ssw0rd",  "p@ssword",
    "passw0rd",      "password",   "password1",  "password12", "password123", "princess",   "q1w2e3r4",  "q1w2e3r4t5",
    "qweasdzxc",     "qwer1234",   "qwerty12",   "qwerty123",  "qwertyui",    "qwertyuiop", "root1234",  "saigon123",
    "starwars",      "sunshine",   "superman",   "trustno1",   "vietnam1",    "vietnam123", "welcome1",  "welcome123",
    "whatever",      "zaq12wsx",   "zxcvbnm123",
};

const size_t common_passwords_count = sizeof common_passwords / sizeof common_passwords[0];
