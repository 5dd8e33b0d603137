/*
 * gate.h: the gating policy: may an update move to testing or to
 * release? A pure function of the update, the project's policy, the
 * builds' checks and the time; the refusal names the rule.
 *
 * Rules, in this order:
 *   state       to testing: the update is a candidate or unpushed; to
 *               release: it is in testing, or a candidate when the policy
 *               asks for 0 days in testing.
 *   builds      the update has at least one build (an unpushed update whose
 *               builds joined other updates has none).
 *   checks      every check named in policy.required_checks passed for
 *               every build of the update (a check that has not run, is
 *               queued or running, failed or errored refuses).
 *   days        to release: at least policy.testing_days days since the
 *               update entered testing.
 *   karma       to release: the update's karma (update.karma) is at least
 *               policy.stable_karma when that is above 0.
 *   approval    to release: approved by a SIG lead (or releng/admin) when
 *               policy.lead_approval is set.
 */
#ifndef Q_GATE_H
#define Q_GATE_H

#include <jansson.h>
#include <stdint.h>

struct q_error;

/*
 * update: as q_store_update_get; policy: as q_store_policy_get; checks:
 * {"BUILD_ID": [{"name","state","summary"}…]}; to: "testing" or "release".
 * 0 when the move is allowed; -1 with err (Q_ECONFLICT) saying which rule
 * refused and why, e.g. "policy of mc/el9, rule 'checks': build 12
 * (foo-1.0-1.el9.mc): check 'closure' failed: …".
 */
int q_gate_check(json_t *update, json_t *policy, json_t *checks, const char *to, int64_t now,
		 struct q_error *err);

/*
 * Every rule of the move to `to` (release: all six; testing: the first
 * three) evaluated on its own, for the web page: *out is an array of
 * {"rule","met","asks" (what the rule asks),"reason" (why it is not met,
 * the message q_gate_check would give; "" when met)}.
 */
int q_gate_status(json_t *update, json_t *policy, json_t *checks, const char *to, int64_t now,
		  json_t **out, struct q_error *err);

#endif
