-- Bench data for the destinations database (loaded by bench/bench.py with psql).
--   psql -v n=100000 -f bench/data_destinations.sql
-- n destinations on top of the seed: 85% around 30 Vietnamese cities, 15% around 12
-- cities abroad (within ~15 km of the centre); 15% of the Vietnamese ones are placed anywhere in
-- Vietnam's bounding box instead (countryside). Names carry
-- Vietnamese diacritics ("Chùa Huế 1234"); every category is used. Deterministic (setseed).
SELECT setseed(0.42);

CREATE TEMP TABLE bench_city (i int PRIMARY KEY, name text, lat float8, lon float8, abroad bool);
INSERT INTO bench_city VALUES
  (0, 'Hà Nội', 21.0285, 105.8542, false),    (1, 'Hồ Chí Minh', 10.7769, 106.7009, false),
  (2, 'Đà Nẵng', 16.0544, 108.2022, false),   (3, 'Huế', 16.4637, 107.5909, false),
  (4, 'Hội An', 15.8801, 108.3380, false),    (5, 'Nha Trang', 12.2388, 109.1967, false),
  (6, 'Đà Lạt', 11.9404, 108.4583, false),    (7, 'Sa Pa', 22.3364, 103.8438, false),
  (8, 'Hạ Long', 20.9599, 107.0425, false),   (9, 'Ninh Bình', 20.2506, 105.9745, false),
  (10, 'Cần Thơ', 10.0452, 105.7469, false),  (11, 'Phú Quốc', 10.2899, 103.9840, false),
  (12, 'Quy Nhơn', 13.7830, 109.2197, false), (13, 'Vũng Tàu', 10.3460, 107.0843, false),
  (14, 'Hải Phòng', 20.8449, 106.6881, false), (15, 'Vinh', 18.6796, 105.6813, false),
  (16, 'Buôn Ma Thuột', 12.6667, 108.0500, false), (17, 'Mỹ Tho', 10.3600, 106.3600, false),
  (18, 'Phan Thiết', 10.9289, 108.1021, false), (19, 'Đồng Hới', 17.4689, 106.6223, false),
  (20, 'Hà Giang', 22.8233, 104.9836, false), (21, 'Cao Bằng', 22.6667, 106.2500, false),
  (22, 'Côn Đảo', 8.6833, 106.6000, false),   (23, 'Châu Đốc', 10.7000, 105.1167, false),
  (24, 'Pleiku', 13.9833, 108.0000, false),   (25, 'Thái Nguyên', 21.5928, 105.8442, false),
  (26, 'Bắc Ninh', 21.1861, 106.0763, false), (27, 'Long Xuyên', 10.3864, 105.4352, false),
  (28, 'Tuy Hòa', 13.0955, 109.3209, false),  (29, 'Lào Cai', 22.4856, 103.9707, false),
  (30, 'Bangkok', 13.7563, 100.5018, true),   (31, 'Vientiane', 17.9757, 102.6331, true),
  (32, 'Phnom Penh', 11.5564, 104.9282, true), (33, 'Siem Reap', 13.3671, 103.8448, true),
  (34, 'Singapore', 1.3521, 103.8198, true),  (35, 'Kuala Lumpur', 3.1390, 101.6869, true),
  (36, 'Tokyo', 35.6762, 139.6503, true),     (37, 'Seoul', 37.5665, 126.9780, true),
  (38, 'Paris', 48.8566, 2.3522, true),       (39, 'Berlin', 52.5200, 13.4050, true),
  (40, 'São Paulo', -23.5505, -46.6333, true), (41, 'Zürich', 47.3769, 8.5417, true);

CREATE TEMP TABLE bench_kind (i int PRIMARY KEY, word text, category text);
INSERT INTO bench_kind VALUES
  (0, 'Chùa', 'attraction'), (1, 'Đền', 'attraction'), (2, 'Bảo tàng', 'attraction'),
  (3, 'Công viên', 'attraction'), (4, 'Hồ', 'attraction'), (5, 'Bãi biển', 'attraction'),
  (6, 'Chợ', 'other'), (7, 'Nhà hàng chay', 'restaurant'), (8, 'Quán phở', 'restaurant'),
  (9, 'Quán cà phê', 'restaurant'), (10, 'Bún chả', 'restaurant'), (11, 'Khách sạn xanh', 'accommodation'),
  (12, 'Homestay', 'accommodation'), (13, 'Nhà nghỉ', 'accommodation'), (14, 'Ga xe lửa', 'transport'),
  (15, 'Bến xe buýt điện', 'transport'), (16, 'Trạm xe đạp', 'transport'), (17, 'Làng nghề', 'other');

INSERT INTO destinations (name, latitude, longitude, category, address, description, green_certified, source)
SELECT k.word || ' ' || c.name || ' ' || r.g,
       CASE WHEN r.spot < 0.15 AND r.ci < 30 THEN 8.6 + random() * 14.7                -- anywhere in Vietnam's box
            ELSE c.lat + (random() - 0.5) * 0.27 END,
       CASE WHEN r.spot < 0.15 AND r.ci < 30 THEN 102.2 + random() * 7.2
            ELSE c.lon + (random() - 0.5) * 0.27 END,
       k.category,
       r.g || ' đường Nguyễn Huệ, ' || c.name,
       'Điểm đến ' || lower(k.word) || ' ở ' || c.name || ': yên tĩnh, thân thiện với môi trường.',
       r.g % 7 = 0,
       'bench data (generated)'
FROM (SELECT g, random() AS spot,
             CASE WHEN random() < 0.85 THEN floor(random() * 30)::int ELSE 30 + floor(random() * 12)::int END AS ci,
             floor(random() * 18)::int AS ki
      FROM generate_series(1, :n) AS g) AS r
JOIN bench_city c ON c.i = r.ci
JOIN bench_kind k ON k.i = r.ki;

ANALYZE destinations;
