/* users_db: the one mapping of a users-database failure to an answer. */
#include "users_db.h"

#include "problem.h"

void users_db_failed(struct reply *rp, enum db_status st)
{
    static const struct db_answers answers = {
        .database = "The users database", .foreign_key = "Your account no longer exists.", .foreign_key_status = 404};
    problem_db(rp, st, &answers);
}
