/* curl_start: see curl_start.h. */
#include "curl_start.h"

#include <dlfcn.h>
#include <string.h>

#include <curl/curl.h>

/* libssh2.h's LIBSSH2_INIT_NO_CRYPTO; its ABI since libssh2 1.2.5. */
#define SSH2_INIT_NO_CRYPTO 0x0001

int curl_start(void)
{
    /* curl_global_init calls libssh2_init(0), which initializes OpenSSL's libcrypto (Debian's
     * libssh2 is built on it) and so faults in ~1.5 MiB of it before any request. libssh2 does
     * that on its first libssh2_init only: a first call with NO_CRYPTO skips it. The daemons
     * allow only http and https (CURLOPT_PROTOCOLS_STR), so libssh2 never runs. Found through
     * the loaded libraries rather than linked: libcurl brings libssh2 along (every Debian
     * flavour does), and a libcurl without it needs nothing. */
    void *sym = dlsym(RTLD_DEFAULT, "libssh2_init");
    int (*ssh2_init)(int);

    if (sym) {
        memcpy(&ssh2_init, &sym, sizeof ssh2_init); /* ISO C has no object-to-function cast */
        (void)ssh2_init(SSH2_INIT_NO_CRYPTO);
    }
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}
