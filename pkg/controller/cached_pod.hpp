#pragma once
// What of a Pod the controller keeps in its cache. A pod of a network is read for its name,
// labels, owner and deletion (metadata) and its IP, conditions and container states (status);
// never for its spec, which is most of it (containers, args, probes, volumes, security context).
// At 1000 networks that is most of the pod cache's memory.
#include <boost/json/value.hpp>

namespace kb::controller {

// The pods informer's transform: keeps metadata.{name, namespace, uid, resourceVersion, labels,
// ownerReferences, deletionTimestamp} and status.{phase, podIP, podIPs, conditions,
// containerStatuses}; drops everything else (spec, annotations, managedFields, the rest of status).
void keep_pod_fields_read(boost::json::value& pod);

}  // namespace kb::controller
