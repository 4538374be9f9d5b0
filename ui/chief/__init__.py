"""首席代表: the chief representative's desk — workload, seal register, claimed cases, department settings."""
