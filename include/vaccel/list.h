// SPDX-License-Identifier: Apache-2.0

#ifndef VACCEL_LIST_H
#define VACCEL_LIST_H

#ifdef __cplusplus
extern "C" {
#endif

/* Doubly-linked list entry; an unlinked entry points to itself */
typedef struct vaccel_list_entry {
	struct vaccel_list_entry *next;
	struct vaccel_list_entry *prev;
} vaccel_list_entry_t;

/* A list head is a list entry */
typedef struct vaccel_list_entry vaccel_list_t;

/* Static initialiser of a self-linked (empty/unlinked) entry `name` */
#define LIST_ENTRY_INIT(name) { &(name), &(name) }

#ifdef __cplusplus
}
#endif

#endif /* VACCEL_LIST_H */
