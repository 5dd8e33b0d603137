/*
 * testphase.h: markers of where the hub is in a publish or a promotion,
 * for the crash tests (tests/integration t0070, t0210).
 *
 * q_test_phase(NAME, DETAIL) does nothing unless the environment asks:
 *   QUARRY_TEST_PHASE_LOG=FILE   append "NAME DETAIL\n" to FILE (one write,
 *                                O_APPEND), so that after a SIGKILL the last
 *                                line says which phase the kill interrupted;
 *   QUARRY_TEST_PHASE_KILL=FILE  when FILE exists and holds NAME, remove it
 *                                and SIGKILL the process there: a crash at
 *                                exactly that phase, once.
 * Unset (production), it costs two getenv calls.
 */
#ifndef Q_TESTPHASE_H
#define Q_TESTPHASE_H

void q_test_phase(const char *name, const char *detail);

#endif
