/* mission_triggers: the actions that complete missions (missions.action_trigger), named once.
 * The same five words are the CHECK constraint of migrations/users (missions table) and the
 * action_trigger enum of the mission schemas in docs/openapi.yaml; a new one changes all three. */
#ifndef MISSION_TRIGGERS_H
#define MISSION_TRIGGERS_H

#define MISSION_MANUAL "manual"             /* completed by an administrator only */
#define MISSION_REGISTER "register"         /* the account was created */
#define MISSION_ECO_TRIP "eco_trip"         /* a trip by an eco mode was recorded */
#define MISSION_FIRST_REVIEW "first_review" /* the user's first review */
#define MISSION_FIRST_PLAN "first_plan"     /* the user's first travel plan */

/* Every trigger, NULL-terminated, for validating action_trigger in requests. */
#define MISSION_TRIGGERS                                                                                               \
    {                                                                                                                  \
        MISSION_MANUAL, MISSION_REGISTER, MISSION_ECO_TRIP, MISSION_FIRST_REVIEW, MISSION_FIRST_PLAN, NULL             \
    }

#endif
