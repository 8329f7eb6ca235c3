"""就业创业: the employment service (employers, postings, job fairs, job seekers, matching)."""
