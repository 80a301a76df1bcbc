-- Bench data for the users database (loaded by bench/bench.py with psql).
--   psql -v n=10000 -v hash=<argon2id string> -v max_dest=<highest destination id> -f bench/data_users.sql
-- n users "bench_user_<g>" sharing one real argon2id hash; per user 10 carbon trips, 5 reviews on
-- distinct destinations, 2 plans of 3 stops; then one plan of exactly 20 stops owned by
-- bench_user_1 (the expand benchmark). Deterministic (setseed).
SELECT setseed(0.42);

INSERT INTO users (username, email, password_hash, eco_point, created_at)
SELECT 'bench_user_' || g, 'bench_user_' || g || '@example.com', :'hash',
       (random() * 12000)::bigint, now() - random() * interval '400 days'
FROM generate_series(1, :n) AS g;

CREATE TEMP TABLE bench_u AS SELECT id FROM users WHERE username LIKE 'bench\_user\_%';

CREATE TEMP TABLE bench_trip (i int PRIMARY KEY, vehicle text, fuel text, factor float8);
INSERT INTO bench_trip VALUES (0, 'car', 'petrol', 0.171), (1, 'motorbike', 'petrol', 0.103),
  (2, 'bus', 'diesel', 0.082), (3, 'metro', 'electric', 0.0278), (4, 'train', 'electric', 0.0355),
  (5, 'walk_or_cycle', 'none', 0);

INSERT INTO carbon_emissions (user_id, vehicle_type, fuel_type, distance_km, passengers, carbon_emission_kg, traveled_at)
SELECT u.id, t.vehicle, t.fuel, d.km, 1, round((d.km * t.factor)::numeric, 3), now() - random() * interval '365 days'
FROM bench_u u
CROSS JOIN generate_series(1, 10) AS k
JOIN bench_trip t ON t.i = (u.id + k) % 6
CROSS JOIN LATERAL (SELECT round((1 + random() * 80)::numeric, 2)::float8 AS km) d;

INSERT INTO reviews (user_id, destination_id, rating, content, created_at)
SELECT u.id, 1 + (u.id * 7919 + k * 9973) % :max_dest, 1 + (u.id + k) % 5,
       'Cảnh đẹp, không khí trong lành; nhân viên thân thiện. Sẽ quay lại lần sau!',
       now() - random() * interval '300 days'
FROM bench_u u CROSS JOIN generate_series(1, 5) AS k;

INSERT INTO plans (user_id, place_name, start_date, end_date, budget_limit)
SELECT u.id, 'Chuyến đi ' || k || ' của ' || u.id, current_date + k * 30, current_date + k * 30 + 3, 5000000
FROM bench_u u CROSS JOIN generate_series(1, 2) AS k;

INSERT INTO plan_destinations (plan_id, destination_id, type, visit_date, time_slot, position)
SELECT p.id, 1 + (p.id * 104729 + s * 7) % :max_dest, 'attraction', p.start_date + s % 3, 'morning', s
FROM plans p CROSS JOIN generate_series(0, 2) AS s;

-- The 20-stop plan for GET /plans/{id}/destinations?expand=destination.
WITH p AS (
  INSERT INTO plans (user_id, place_name, start_date, end_date)
  SELECT id, 'Hành trình 20 điểm', current_date, current_date + 4 FROM users WHERE username = 'bench_user_1'
  RETURNING id, start_date)
INSERT INTO plan_destinations (plan_id, destination_id, type, visit_date, time_slot, position)
SELECT p.id, 1 + (s * 4999) % :max_dest,
       (ARRAY['restaurant', 'accommodation', 'attraction', 'transport'])[1 + s % 4],
       p.start_date + s / 5, (ARRAY['morning', 'afternoon', 'evening'])[1 + s % 3], s
FROM p CROSS JOIN generate_series(0, 19) AS s;

ANALYZE;
