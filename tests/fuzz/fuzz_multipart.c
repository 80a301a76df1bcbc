/* fuzz_multipart: the multipart/form-data upload path of POST /api/v1/media.
 *
 * Input: "CONTENT-TYPE\nBODY". The Content-Type goes through multipart_boundary(); the body
 * (copied into a buffer of exactly its length, no terminator) is parsed with the boundary
 * found, and always with the fixed boundary "XyZ" too so that body mutations are not gated
 * on a valid header. Every part is checked to point inside the body and its strings to be
 * terminated, then run through what media_upload does with a file part (sniffing, type and
 * file name sanitising). */
#include "fuzz.h"

#include "media.h"
#include "multipart.h"

struct walk {
    const uint8_t *body;
    size_t len;
    int parts;
};

static void check_part(const struct multipart_part *p, const uint8_t *body, size_t len)
{
    char fname[MEDIA_FILENAME_MAX];

    FUZZ_CHECK(p->data >= body && p->len <= len && (size_t)(p->data - body) <= len - p->len);
    FUZZ_CHECK(memchr(p->name, '\0', sizeof p->name) != NULL);
    FUZZ_CHECK(memchr(p->filename, '\0', sizeof p->filename) != NULL);
    FUZZ_CHECK(memchr(p->content_type, '\0', sizeof p->content_type) != NULL);
    (void)media_sniff(p->data, p->len);
    (void)media_type_canonical(p->content_type);
    (void)media_category_valid(p->name);
    media_filename(p->filename, fname);
    FUZZ_CHECK(memchr(fname, '\0', sizeof fname) != NULL && fname[0] != '\0');
    FUZZ_CHECK(strchr(fname, '/') == NULL && strchr(fname, '\\') == NULL);
}

static int on_part(const struct multipart_part *p, void *arg)
{
    struct walk *w = arg;

    check_part(p, w->body, w->len);
    w->parts++;
    FUZZ_CHECK(w->parts <= MULTIPART_PARTS_MAX);
    /* a callback may stop the parse; its value must come back */
    return strcmp(p->name, "stop") == 0 ? 7 : 0;
}

static void parse(const uint8_t *body, size_t len, const char *boundary)
{
    struct walk w = {body, len, 0};
    struct multipart_part part;
    int r = multipart_parse(body, len, boundary, on_part, &w);

    FUZZ_CHECK(r == 0 || r == -1 || r == 7);
    if (r != 7) /* without a callback to stop it, the same parse gives the same answer */
        FUZZ_CHECK(multipart_parse(body, len, boundary, NULL, NULL) == r);
    r = multipart_find_file(body, len, boundary, "file", &part);
    FUZZ_CHECK(r >= -1 && r <= 1);
    if (r == 1) {
        check_part(&part, body, len);
        FUZZ_CHECK(strcmp(part.name, "file") == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *ct = fuzz_line(&data, &size);
    char boundary[MULTIPART_BOUNDARY_MAX + 1], small[8];
    uint8_t *body = malloc(size ? size : 1);

    if (!body)
        abort();
    if (size)
        memcpy(body, data, size);
    if (ct && multipart_boundary(ct, boundary, sizeof boundary) == 0) {
        size_t n = strlen(boundary);
        FUZZ_CHECK(n >= 1 && n <= MULTIPART_BOUNDARY_MAX);
        parse(body, size, boundary);
    }
    if (ct && multipart_boundary(ct, small, sizeof small) == 0)
        FUZZ_CHECK(strlen(small) < sizeof small);
    parse(body, size, "XyZ");
    free(body);
    free(ct);
    return 0;
}
