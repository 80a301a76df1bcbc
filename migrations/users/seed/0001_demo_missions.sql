-- Demo missions for the users database.
--
-- Idempotent: mission names are unique case-insensitively
-- (missions_name_lower_key on lower(name)), so running this again inserts
-- nothing and leaves missions an admin has edited since untouched.
-- At least one mission per action_trigger; the non-manual ones are completed
-- automatically by user-service when the action happens.

INSERT INTO missions (name, description, action_trigger, value, active) VALUES
    ('Welcome aboard',
     'Create your EcomoveX account and start tracking the footprint of your travels.',
     'register', 50, true),
    ('First green trip',
     'Log a trip on foot or by bicycle, by bus, metro or train, or in any electric vehicle.',
     'eco_trip', 100, true),
    ('First review',
     'Share your experience of a destination by writing your first review.',
     'first_review', 30, true),
    ('First travel plan',
     'Plan your first trip with dates, a budget and the places you want to visit.',
     'first_plan', 40, true),
    ('Bring a reusable bottle',
     'Carry a refillable water bottle for a whole day of sightseeing instead of buying plastic bottles.',
     'manual', 20, true),
    ('Say no to plastic bags',
     'Take your own tote bag to the market and refuse single-use plastic bags.',
     'manual', 20, true),
    ('Car-free day',
     'Spend a whole day getting around only on foot, by bicycle or by public transport.',
     'manual', 60, true),
    ('Eat local',
     'Have a meal at a restaurant that cooks with local, seasonal ingredients.',
     'manual', 15, true)
ON CONFLICT ((lower(name))) DO NOTHING;
