// ComputeInstanceRequestStore: a start, stop, restart or delete of a compute instance asked
// through a server that does not run its lab waits in the database (migration 19) until the
// server holding the instance's lease carries it out (docs/scale-out.md "Compute instances").
//
// A capability of a MetadataStore: the SQL store implements it, callers find it with
// ComputeInstanceRequestsOf(store); a store without it (a test fake) runs on one server only,
// which carries out every change itself. One document per instance (id: its name; the document
// is compute_instances' own), in the DocumentStore contract (thread-safe, durable on return).
#pragma once

#include "mlws/store/document_store.h"
#include "mlws/store/metadata_store.h"

namespace mlws::store {

class ComputeInstanceRequestStore {
 public:
  virtual ~ComputeInstanceRequestStore() = default;
  virtual DocumentStore& compute_instance_requests() = 0;
};

// The compute instance requests of `store`, or nullptr when that store keeps none.
inline DocumentStore* ComputeInstanceRequestsOf(MetadataStore& store) {
  auto* c = dynamic_cast<ComputeInstanceRequestStore*>(&store);
  return c == nullptr ? nullptr : &c->compute_instance_requests();
}

}  // namespace mlws::store
