// Package dynamodb owns the DynamoDB engine of table.Table: the one table of
// DESIGN §3 (PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, ExpiresAt, Version, Data) read and written
// through aws-sdk-go-v2, against real DynamoDB or the local emulator.
//
// # Attributes
//
// PK and SK (S) are the key. GSI1PK and GSI1SK (S) are written only when the
// item is in GSI1 (both set), GSI2PK and GSI2SK likewise for GSI2, ExpiresAt (N, epoch seconds) only when the item
// expires, Data (B) only when non-empty; Version (N) always. An item whose
// ExpiresAt is not after the clock is absent to every method, whether or not
// DynamoDB's TTL has deleted it yet: gets and queries drop it, and conditions
// treat it as absent.
//
// # Versions
//
// Every put stores Version = the previous live version + 1, or 1 when no live
// item was there (absent, or expired and not yet deleted), in one DynamoDB call
// in the common case:
//   - IfAbsent: PutItem with Version 1, conditioned on no live item.
//   - IfVersion(v): PutItem with Version v+1, conditioned on the live version v.
//   - IfExists: UpdateItem that sets every attribute, removes the absent
//     optional ones and sets Version = Version + 1, conditioned on a live item.
//   - Always: the same UpdateItem with Version = if_not_exists(Version, 0) + 1,
//     conditioned on the item being absent or live. If the condition fails, an
//     expired item is in the way: a second call replaces it with a PutItem at
//     Version 1, conditioned on the key being absent or expired (and if a live
//     item appeared in between, it goes round again, a bounded number of times).
//
// Transactions use the same writes (Put, Update, Delete, ConditionCheck items of
// TransactWriteItems). An Always put whose condition fails because an expired
// item sits at its key switches to the Version 1 form and the transaction is
// sent again; a canceled transaction has written nothing, so the retry is safe.
//
// # Queries
//
// DynamoDB allows one condition on the sort key, so Prefix, From and To are
// intersected into one range [lo, hi) (table.Query.SortRange): begins_with when it is just
// the prefix, >= or < for one bound, and BETWEEN lo AND hi with the item at hi
// dropped for both. DynamoDB's Limit counts items before the expiry filter, so a
// page is read in as many calls as it takes to hold Limit live items plus one,
// the extra item proving there is a next page.
package dynamodb
