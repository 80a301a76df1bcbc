/* curl_start: libcurl's global initialization, without the start-up cost of what the
 * daemons never use. */
#ifndef CURL_START_H
#define CURL_START_H

/* curl_global_init(CURL_GLOBAL_DEFAULT), first telling libssh2 (which libcurl loads for
 * scp:// and sftp://, protocols no daemon allows) to skip its crypto initialization.
 * 0, or -1 when libcurl would not initialize. Call it where curl_global_init was. */
int curl_start(void);

#endif
