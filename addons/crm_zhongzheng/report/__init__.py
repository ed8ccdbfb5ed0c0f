# Analysis models (SQL views) and their QWeb reports live here.
