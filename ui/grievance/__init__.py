"""办不成事: the grievance desk — registration at the counter, the supervisor's steps, the departments' replies."""
