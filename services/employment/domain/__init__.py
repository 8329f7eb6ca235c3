"""The employment domain in plain Python: employers, postings, fairs, job seekers and matching."""
