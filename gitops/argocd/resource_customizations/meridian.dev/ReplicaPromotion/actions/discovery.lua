-- The approve action: offered while the promotion waits for spec.approved (Manual policies).
local actions = {}
local finished = obj.status ~= nil and (obj.status.phase == "Succeeded" or obj.status.phase == "Failed" or obj.status.phase == "Aborted")
actions["approve"] = {
  ["disabled"] = obj.spec.approved == true or finished,
  ["iconClass"] = "fa fa-fw fa-check",
  ["displayName"] = "Approve"
}
return actions
