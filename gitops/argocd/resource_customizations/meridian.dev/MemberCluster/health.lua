-- Argo CD health of a Meridian MemberCluster: Healthy when the hub reaches it with the configured
-- credentials, Degraded when not (a bad kubeconfig or Secret, or an API server that does not
-- answer: the condition's reason and message say which), Progressing until the first probe.
local hs = {}
local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the first probe of the cluster"
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for Meridian to observe generation " .. obj.metadata.generation
  return hs
end
for _, condition in ipairs(status.conditions) do
  if condition.type == "Ready" then
    hs.message = condition.reason .. ": " .. condition.message
    if condition.status == "True" then
      hs.status = "Healthy"
    elseif condition.status == "False" then
      hs.status = "Degraded"
    else
      hs.status = "Progressing"
    end
    return hs
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the first probe of the cluster"
return hs
