/* media_routes: uploads and downloads of images: the row (media_store) and its bytes
 * (media_files). The file is written before its row is inserted; a failed insert removes it. */
#ifndef MEDIA_ROUTES_H
#define MEDIA_ROUTES_H

#include "reply.h"
#include "request.h"

void media_upload(struct request *rq, struct reply *rp);  /* POST /api/v1/media?category= */
void media_list(struct request *rq, struct reply *rp);    /* GET /api/v1/media */
void media_get(struct request *rq, struct reply *rp);     /* GET /api/v1/media/{id} */
void media_content(struct request *rq, struct reply *rp); /* GET /api/v1/media/{id}/content */
void media_delete(struct request *rq, struct reply *rp);  /* DELETE /api/v1/media/{id} */

#endif
