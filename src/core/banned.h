/*
 * banned.h: functions that are too easy to misuse. Using one is a compile
 * error; use snprintf, g_strlcpy, strtol/q_parse_* instead.
 */
#ifndef Q_BANNED_H
#define Q_BANNED_H

#define Q_BANNED(func) sorry_##func##_is_banned_in_quarry

#undef strcpy
#define strcpy(x, y) Q_BANNED(strcpy)
#undef strcat
#define strcat(x, y) Q_BANNED(strcat)
#undef sprintf
#define sprintf(...) Q_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) Q_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) Q_BANNED(strtok)
#undef atoi
#define atoi(x) Q_BANNED(atoi)
#undef gets
#define gets(x) Q_BANNED(gets)

#endif
