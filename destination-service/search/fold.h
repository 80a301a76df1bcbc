/* fold: text -> search words. Accents and case are folded away ("Hà Nội" and "HA NOI" both
 * give the words "ha" "noi"; "Đồng" gives "dong"), every character that is not a letter or
 * a digit separates words ("Cầu Vàng (Bà Nà)" -> cau vang ba na, "Văn Miếu – Quốc Tử Giám"
 * -> van mieu quoc tu giam). Latin letters with diacritics (Latin-1, Latin Extended-A, the
 * Vietnamese letters of Latin Extended-B and Latin Extended Additional) become their base
 * letters; combining marks (decomposed text) are dropped; other non-ASCII letters (CJK,
 * Cyrillic, ...) are kept as their UTF-8 bytes, so a word in them matches itself. */
#ifndef FOLD_H
#define FOLD_H

#include <stddef.h>

#define FOLD_WORD_MAX 48 /* bytes of one folded word; longer words are cut there */

/* Reads the next word of the UTF-8 text at *s into word (NUL-terminated, at most
 * FOLD_WORD_MAX bytes plus the NUL) and moves *s past it. Returns its length, or 0 when the
 * text has no more words. Invalid UTF-8 bytes are separators. */
size_t fold_next(const char **s, char word[FOLD_WORD_MAX + 1]);

/* 1 when the folded word has only the letters a-z (typo tolerance applies to such words). */
int fold_is_alpha(const char *word, size_t len);

#endif
