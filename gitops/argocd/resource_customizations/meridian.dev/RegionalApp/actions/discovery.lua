-- The switchover action: offered unless a promotion is already moving the primary. Its optional
-- parameter names the target region; without it, the standby with the best priority is chosen
-- (Argo CD before 3.1 has no action parameters).
local actions = {}
local running = obj.status ~= nil and obj.status.handover ~= nil
actions["switchover"] = {
  ["disabled"] = running,
  ["iconClass"] = "fa fa-fw fa-exchange-alt",
  ["displayName"] = "Switch over",
  ["params"] = {
    {
      ["name"] = "region"
    }
  }
}
return actions
