-- Sets spec.approved: the promotion may run. The API server refuses to set it back to false.
obj.spec.approved = true
return obj
