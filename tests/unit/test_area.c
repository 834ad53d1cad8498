/* tests/unit/test_area — warning target areas (geo/area): hand-checked points on the edges
 * and vertices of a square, just inside and outside it, a polygon with a hole, a multipolygon
 * of two parts and the gap between them, a U-shaped polygon, circles at their boundary, the
 * union of a circle and a polygon, CAP text (latitude first), every validation error, and the
 * bulk filter agreeing with the single-point test on 100 000 random points, and both agreeing
 * with GEOS itself (a prepared polygon built here, no geo/area in between) on points on and a
 * hair's breadth off slanted edges.
 *
 * Needs no database. */
#include "test_util.h"

#include "geo/area.h"
#include "geo/spatial.h"

#include <geos_c.h>
#include <math.h>
#include <pthread.h>

#define EPS 1e-9 /* degrees: about 0.1 mm */

/* ---- helpers ----------------------------------------------------------------------------- */

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) {
        print_error("bad test JSON: %s\n", jerr.text);
        fail();
    }
    return j;
}

static void add_geojson(GeoArea *a, const char *text)
{
    Error err = ERROR_INIT;
    json_t *g = parse_json(text);
    int rc = geo_area_add_geojson(a, g, &err);
    json_decref(g);
    assert_ok(rc, err);
}

/* Adds text as GeoJSON and expects 422 invalid_area whose English message contains want_en
 * (and a non-empty Chinese message); the area must stay unchanged. */
static void expect_geojson_error(const char *text, const char *want_en)
{
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    json_t *g = parse_json(text);
    int rc = geo_area_add_geojson(a, g, &err);
    json_decref(g);
    if (rc != -1 || err.status != 422 || strcmp(err.code, "invalid_area") != 0 ||
        !strstr(err.message_en, want_en) || !err.message[0]) {
        print_error("GeoJSON %s: want 422 invalid_area containing \"%s\", got rc %d [%d %s] %s\n",
                    text, want_en, rc, err.status, err.code, err.message_en);
        error_clear(&err);
        geo_area_free(a);
        fail();
    }
    print_message("refused as expected: %s / %s\n", err.message_en, err.message);
    error_clear(&err);
    assert_int_equal(geo_area_polygon_count(a), 0);
    GeoBBox box;
    assert_int_equal(geo_area_bbox(a, &box), 0);
    geo_area_free(a);
}

/* The point `d` metres from (lon, lat) due north (bearing 0) and due east along the parallel's
 * great circle start (bearing 90), exactly as haversine measures them. */
static double north_lat(double lat, double d)
{
    return lat + d / GEO_EARTH_RADIUS_M * 180.0 / M_PI;
}

static double east_lon(double lon, double lat, double d)
{
    /* same latitude: haversine h = cos²(lat) sin²(dl/2) = sin²(d/2R) */
    double s = sin(d / (2 * GEO_EARTH_RADIUS_M)) / cos(lat * M_PI / 180.0);
    return lon + 2 * asin(s) * 180.0 / M_PI;
}

#define IN(a, x, y) assert_int_equal(geo_area_covers((a), (x), (y)), 1)
#define OUT(a, x, y) assert_int_equal(geo_area_covers((a), (x), (y)), 0)

/* ---- polygons ---------------------------------------------------------------------------- */

static const char *square = "{\"type\":\"Polygon\",\"coordinates\":"
                            "[[[100,30],[101,30],[101,31],[100,31],[100,30]]]}";

static void test_square_edges_and_vertices(void **state)
{
    GeoArea *a = geo_area_new();
    add_geojson(a, square);
    assert_int_equal(geo_area_polygon_count(a), 1);
    IN(a, 100.5, 30.5);
    /* every vertex */
    IN(a, 100, 30);
    IN(a, 101, 30);
    IN(a, 101, 31);
    IN(a, 100, 31);
    /* every edge */
    IN(a, 100.5, 30);
    IN(a, 101, 30.25);
    IN(a, 100.75, 31);
    IN(a, 100, 30.999);
    /* just inside, just outside each edge */
    IN(a, 100 + EPS, 30.5);
    OUT(a, 100 - EPS, 30.5);
    IN(a, 101 - EPS, 30.5);
    OUT(a, 101 + EPS, 30.5);
    IN(a, 100.5, 30 + EPS);
    OUT(a, 100.5, 30 - EPS);
    IN(a, 100.5, 31 - EPS);
    OUT(a, 100.5, 31 + EPS);
    /* outside a vertex diagonally, far away, not a number */
    OUT(a, 101 + EPS, 31 + EPS);
    OUT(a, 0, 0);
    OUT(a, NAN, 30.5);
    OUT(a, 100.5, INFINITY);
    GeoBBox b;
    assert_int_equal(geo_area_bbox(a, &b), 1);
    assert_true(b.min_lon == 100 && b.max_lon == 101 && b.min_lat == 30 && b.max_lat == 31);
    geo_area_free(a);

    /* positions with an altitude: the third number is ignored */
    a = geo_area_new();
    add_geojson(a, "{\"type\":\"Polygon\",\"coordinates\":[[[100,30,5],[101,30,5.5],[101,31,0],"
                   "[100,31,-2],[100,30,5]]]}");
    IN(a, 101, 31);
    OUT(a, 101 + EPS, 31);
    geo_area_free(a);
}

static void test_polygon_with_hole(void **state)
{
    GeoArea *a = geo_area_new();
    /* outer 100..110 × 20..30, hole 104..106 × 24..26 (clockwise, as RFC 7946 wants) */
    add_geojson(a, "{\"type\":\"Polygon\",\"coordinates\":["
                   "[[100,20],[110,20],[110,30],[100,30],[100,20]],"
                   "[[104,24],[104,26],[106,26],[106,24],[104,24]]]}");
    OUT(a, 105, 25);       /* inside the hole */
    OUT(a, 104 + EPS, 25); /* just inside the hole */
    OUT(a, 105, 26 - EPS);
    IN(a, 104, 25);        /* on the hole's edge */
    IN(a, 105, 26);        /* on the hole's edge */
    IN(a, 106, 26);        /* the hole's vertex */
    IN(a, 104 - EPS, 25);  /* between hole and shell */
    IN(a, 102, 22);        /* between */
    IN(a, 108, 28);        /* between */
    IN(a, 110, 25);        /* the shell's edge */
    OUT(a, 110 + EPS, 25); /* outside */
    geo_area_free(a);
}

static void test_multipolygon(void **state)
{
    GeoArea *a = geo_area_new();
    add_geojson(a, "{\"type\":\"MultiPolygon\",\"coordinates\":["
                   "[[[100,30],[101,30],[101,31],[100,31],[100,30]]],"
                   "[[[102,30],[103,30],[103,31],[102,31],[102,30]],"
                   " [[102.4,30.4],[102.4,30.6],[102.6,30.6],[102.6,30.4],[102.4,30.4]]]]}");
    assert_int_equal(geo_area_polygon_count(a), 2);
    IN(a, 100.5, 30.5);
    IN(a, 102.2, 30.5);
    OUT(a, 102.5, 30.5); /* the second part's hole */
    IN(a, 102.4, 30.5);  /* its edge */
    OUT(a, 101.5, 30.5); /* the gap */
    OUT(a, 101 + EPS, 30.5);
    IN(a, 101, 30.5);
    IN(a, 102, 30.5);
    OUT(a, 102 - EPS, 30.5);
    OUT(a, 101.5, 30); /* on the line joining the parts' edges, in the gap */
    GeoBBox b;
    assert_int_equal(geo_area_bbox(a, &b), 1);
    assert_true(b.min_lon == 100 && b.max_lon == 103 && b.min_lat == 30 && b.max_lat == 31);
    geo_area_free(a);
}

static void test_concave_u(void **state)
{
    GeoArea *a = geo_area_new();
    /* a U: 110..113 × 40..43 minus the notch 111..112 × 41..43 (open at the top) */
    add_geojson(a, "{\"type\":\"Polygon\",\"coordinates\":[[[110,40],[113,40],[113,43],[112,43],"
                   "[112,41],[111,41],[111,43],[110,43],[110,40]]]}");
    OUT(a, 111.5, 42); /* in the notch, inside the bounding box */
    OUT(a, 111.5, 43); /* across the notch's open top */
    OUT(a, 111.5, 41 + EPS);
    IN(a, 111.5, 41);       /* the notch's floor */
    IN(a, 111.5, 41 - EPS); /* just below it */
    IN(a, 110.5, 42);       /* left arm */
    IN(a, 112.5, 42);       /* right arm */
    IN(a, 111, 42);         /* inner edge of the left arm */
    OUT(a, 111 + EPS, 42);
    IN(a, 112, 43);     /* the inner top vertex */
    IN(a, 111.5, 40.5); /* the base */
    geo_area_free(a);
}

/* A checkerboard: 200 squares of 0.1° touching at their corners, one MultiPolygon (valid:
 * parts may touch at points). */
static void test_checkerboard_multipolygon(void **state)
{
    json_t *coords = json_array();
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 20; j++) {
            if ((i + j) % 2)
                continue;
            double x = 110 + i * 0.1, y = 30 + j * 0.1, x1 = 110 + (i + 1) * 0.1,
                   y1 = 30 + (j + 1) * 0.1;
            json_array_append_new(coords, json_pack("[[[f,f],[f,f],[f,f],[f,f],[f,f]]]", x, y, x1,
                                                    y, x1, y1, x, y1, x, y));
        }
    json_t *g = json_pack("{s:s, s:o}", "type", "MultiPolygon", "coordinates", coords);
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    assert_ok(geo_area_add_geojson(a, g, &err), err);
    json_decref(g);
    assert_int_equal(geo_area_polygon_count(a), 200);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 20; j++) {
            double x = 110 + i * 0.1, y = 30 + j * 0.1, x1 = 110 + (i + 1) * 0.1;
            int black = (i + j) % 2 == 0;
            double cx = 110 + (i + 0.5) * 0.1, cy = 30 + (j + 0.5) * 0.1;
            assert_int_equal(geo_area_covers(a, cx, cy), black);
            assert_int_equal(geo_area_covers(a, x + EPS, cy), black);
            assert_int_equal(geo_area_covers(a, x1 - EPS, cy), black);
            /* every corner belongs to some black square; so does every edge but the outer
             * edges of the white squares on the board's border */
            assert_int_equal(geo_area_covers(a, x, y), 1);
            assert_int_equal(geo_area_covers(a, x, cy), black || i > 0);
            assert_int_equal(geo_area_covers(a, cx, y), black || j > 0);
        }
    OUT(a, 109.95, 30.05);
    OUT(a, 112 + EPS, 31.95);
    geo_area_free(a);
}

/* ---- circles ----------------------------------------------------------------------------- */

static void test_circle_boundary(void **state)
{
    const double lon = 104.0, lat = 36.0, r = 10000;
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    assert_ok(geo_area_add_circle(a, lon, lat, r, &err), err);
    assert_int_equal(geo_area_circle_count(a), 1);
    IN(a, lon, lat);
    /* due north: 1 mm inside and outside */
    double in_lat = north_lat(lat, r - 0.001), out_lat = north_lat(lat, r + 0.001);
    assert_true(geo_distance_m(lon, lat, lon, in_lat) < r);
    assert_true(geo_distance_m(lon, lat, lon, out_lat) > r);
    IN(a, lon, in_lat);
    OUT(a, lon, out_lat);
    IN(a, lon, north_lat(lat, -(r - 0.001))); /* due south */
    OUT(a, lon, north_lat(lat, -(r + 0.001)));
    /* due east and west: the box must reach the widest longitude */
    double in_lon = east_lon(lon, lat, r - 0.001), out_lon = east_lon(lon, lat, r + 0.001);
    assert_true(geo_distance_m(lon, lat, in_lon, lat) < r);
    assert_true(geo_distance_m(lon, lat, out_lon, lat) > r);
    IN(a, in_lon, lat);
    OUT(a, out_lon, lat);
    IN(a, 2 * lon - in_lon, lat);
    OUT(a, 2 * lon - out_lon, lat);
    /* the corner of the box is outside the circle */
    GeoBBox b;
    assert_int_equal(geo_area_bbox(a, &b), 1);
    assert_true(b.min_lat < north_lat(lat, -r) && b.max_lat > north_lat(lat, r));
    assert_true(b.max_lon > east_lon(lon, lat, r) && b.max_lon < east_lon(lon, lat, r) + 1e-6);
    OUT(a, b.max_lon, b.max_lat);
    geo_area_free(a);
}

static void test_circle_near_pole_and_antimeridian(void **state)
{
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    assert_ok(geo_area_add_circle(a, 179.99, 0, 5000, &err), err);
    IN(a, -179.99, 0); /* 2.2 km across the antimeridian */
    assert_ok(geo_area_add_circle(a, 0, 89.99, 5000, &err), err);
    IN(a, 180, 89.99); /* 2.2 km across the pole */
    GeoBBox b;
    geo_area_bbox(a, &b);
    assert_true(b.min_lon == -180 && b.max_lon == 180);
    geo_area_free(a);
}

static void test_union_circle_polygon(void **state)
{
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    add_geojson(a, square); /* 100..101 × 30..31 */
    assert_ok(geo_area_add_circle(a, 101.2, 30.5, 5000, &err), err);
    IN(a, 100.5, 30.5);                        /* polygon only */
    IN(a, east_lon(101.2, 30.5, 4999), 30.5);  /* circle only */
    OUT(a, east_lon(101.2, 30.5, 5001), 30.5); /* neither */
    OUT(a, 101.1, 30.5);                       /* between them */
    OUT(a, 100.5, 31.5);                       /* in the union's box, in neither */
    assert_ok(geo_area_add_circle(a, 100.5, 30.5, 1000, &err), err); /* overlapping: still 1 */
    IN(a, 100.5, 30.5);
    GeoBBox b;
    geo_area_bbox(a, &b);
    assert_true(b.min_lon == 100 && b.max_lon > east_lon(101.2, 30.5, 5000) && b.min_lat == 30 &&
                b.max_lat == 31);
    geo_area_free(a);
}

/* ---- CAP --------------------------------------------------------------------------------- */

static void test_cap_polygon_and_circle(void **state)
{
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    /* CAP gives latitude first: this is lon 104.0..104.2, lat 36.0..36.1 */
    assert_ok(geo_area_add_cap_polygon(
                  a, "36.0,104.0 36.0,104.2\n\t36.1,104.2  36.1,104.0 36.0,104.0 ", &err),
              err);
    GeoBBox b;
    assert_int_equal(geo_area_bbox(a, &b), 1);
    assert_true(b.min_lon == 104.0 && b.max_lon == 104.2 && b.min_lat == 36.0 && b.max_lat == 36.1);
    IN(a, 104.1, 36.05);
    IN(a, 104.2, 36.1);
    OUT(a, 104.1, 36.15);
    /* CAP circle: radius in kilometres */
    assert_ok(geo_area_add_cap_circle(a, "30.5,110.25 2.5", &err), err);
    IN(a, 110.25, north_lat(30.5, 2499.9));
    OUT(a, 110.25, north_lat(30.5, 2500.1));
    assert_ok(geo_area_add_cap_circle(a, " -33.9,18.4  0.5\n", &err), err);
    IN(a, 18.4, -33.9);
    assert_int_equal(geo_area_polygon_count(a), 1);
    assert_int_equal(geo_area_circle_count(a), 2);
    geo_area_free(a);
}

/* ---- validation -------------------------------------------------------------------------- */

static void test_geojson_errors(void **state)
{
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":"
                         "[[[100,30],[101,30],[101,31],[100,31],[100,30.5]]]}",
                         "not closed");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[101,30],[100,30]]]}",
                         "has 3 positions");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[181,30],[101,31],"
                         "[100,30]]]}",
                         "position 2: coordinates out of range");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[101,-91],[101,31],"
                         "[100,30]]]}",
                         "out of range");
    /* a bow tie: GEOS's reason and its location, the crossing at (100.5, 30.5) */
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":"
                         "[[[100,30],[101,31],[101,30],[100,31],[100,30]]]}",
                         "Self-intersection at lon 100.5000000, lat 30.5000000");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[101,30],[101,31],"
                         "[100,31],[100,30]],[[102,30],[102,31],[103,31],[102,30]]]}",
                         "Hole lies outside shell");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[100,30],[100,30],"
                         "[100,30]]]}",
                         "Too few points");
    /* two overlapping parts of one multipolygon */
    expect_geojson_error("{\"type\":\"MultiPolygon\",\"coordinates\":["
                         "[[[100,30],[101,30],[101,31],[100,31],[100,30]]],"
                         "[[[100.5,30.5],[101.5,30.5],[101.5,31.5],[100.5,31.5],[100.5,30.5]]]]}",
                         "Self-intersection");
    /* the second part of a multipolygon names its number */
    expect_geojson_error("{\"type\":\"MultiPolygon\",\"coordinates\":["
                         "[[[100,30],[101,30],[101,31],[100,31],[100,30]]],"
                         "[[[102,30],[103,30],[103,31],[102,31],[102,30]],[[102.5,30.5]]]]}",
                         "polygon 2, hole 1 has 1 positions");
    expect_geojson_error("{\"type\":\"Point\",\"coordinates\":[100,30]}",
                         "Polygon or MultiPolygon");
    expect_geojson_error("{\"coordinates\":[]}", "Polygon or MultiPolygon");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[]}", "non-empty");
    expect_geojson_error("{\"type\":\"Polygon\"}", "non-empty");
    expect_geojson_error("{\"type\":\"MultiPolygon\",\"coordinates\":[[]]}",
                         "polygon 1 must be a non-empty array of rings");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[{\"a\":1}]}",
                         "must be an array of positions");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[\"101\",30],[101,31],"
                         "[100,30]]]}",
                         "position 2 must be [lon, lat]");
    expect_geojson_error("{\"type\":\"Polygon\",\"coordinates\":[[[100,30],[101],[101,31],"
                         "[100,30]]]}",
                         "position 2 must be [lon, lat]");
}

static void expect_cap_error(int circle, const char *text, const char *want_en)
{
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    int rc =
        circle ? geo_area_add_cap_circle(a, text, &err) : geo_area_add_cap_polygon(a, text, &err);
    if (rc != -1 || err.status != 422 || !strstr(err.message_en, want_en) || !err.message[0]) {
        print_error("CAP %s \"%s\": want 422 containing \"%s\", got rc %d [%d] %s\n",
                    circle ? "circle" : "polygon", text ? text : "(null)", want_en, rc, err.status,
                    err.message_en);
        error_clear(&err);
        geo_area_free(a);
        fail();
    }
    error_clear(&err);
    assert_int_equal(geo_area_polygon_count(a) + geo_area_circle_count(a), 0);
    geo_area_free(a);
}

static void test_cap_and_circle_errors(void **state)
{
    expect_cap_error(0, "30,100 30,101 31,101 31,100", "not closed");
    expect_cap_error(0, "30,100 30,101 30,100", "has 3 positions");
    expect_cap_error(0, "", "has 0 positions");
    expect_cap_error(0, NULL, "has 0 positions");
    expect_cap_error(0, "30,100 30,101 31 31,100 30,100", "coordinate pair 3 is malformed");
    expect_cap_error(0, "30,100 30, 101 31,101 30,100", "coordinate pair 2 is malformed");
    expect_cap_error(0, "30,100;30,101 31,101 30,100", "coordinate pair 1 is malformed");
    /* longitude first by mistake: 104 is no latitude */
    expect_cap_error(0, "104.0,36.0 104.2,36.0 104.2,36.1 104.0,36.0",
                     "position 1: coordinates out of range");
    expect_cap_error(0, "nan,100 30,101 31,101 nan,100", "out of range");
    expect_cap_error(0, "30,100 31,101 30,101 31,100 30,100", "Self-intersection");
    expect_cap_error(1, "36,104", "CAP circle is malformed");
    expect_cap_error(1, "36,104 km", "CAP circle is malformed");
    expect_cap_error(1, "36,104 10 11", "CAP circle is malformed");
    expect_cap_error(1, "36 104 10", "CAP circle is malformed");
    expect_cap_error(1, "36,104 0", "radius must be > 0");
    expect_cap_error(1, "36,104 -1", "radius must be > 0");
    expect_cap_error(1, "95,104 1", "circle centre out of range");
    expect_cap_error(1, "36,104 20001", "at most 20000000 m");

    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    assert_err(geo_area_add_circle(a, 104, 36, 0, &err), err, 422);
    assert_err(geo_area_add_circle(a, 104, 36, -3, &err), err, 422);
    assert_err(geo_area_add_circle(a, 104, 36, NAN, &err), err, 422);
    assert_err(geo_area_add_circle(a, 104, 36, INFINITY, &err), err, 422);
    assert_err(geo_area_add_circle(a, 181, 36, 10, &err), err, 422);
    assert_err(geo_area_add_circle(a, 104, NAN, 10, &err), err, 422);
    assert_int_equal(geo_area_circle_count(a), 0);
    geo_area_free(a);
}

/* ---- empty area, bulk filter ------------------------------------------------------------- */

static void test_empty_area(void **state)
{
    GeoArea *a = geo_area_new();
    double lon[2] = {0, 104}, lat[2] = {0, 36};
    uint8_t hit[2] = {9, 9};
    OUT(a, 0, 0);
    assert_int_equal(geo_area_filter(a, lon, lat, 2, hit, 1), 0);
    assert_true(hit[0] == 0 && hit[1] == 0);
    assert_int_equal(geo_area_filter(a, lon, lat, 0, hit, 0), 0);
    GeoBBox b;
    assert_int_equal(geo_area_bbox(a, &b), 0);
    geo_area_free(a);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static double rnd(void) /* splitmix64 → [0, 1) */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* An area with every kind of part: a holed polygon, a U, a two-part multipolygon, two
 * circles (one overlapping the holed polygon). */
static GeoArea *mixed_area(void)
{
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    add_geojson(a, "{\"type\":\"Polygon\",\"coordinates\":["
                   "[[100,20],[110,20],[110,30],[100,30],[100,20]],"
                   "[[104,24],[104,26],[106,26],[106,24],[104,24]]]}");
    add_geojson(a, "{\"type\":\"Polygon\",\"coordinates\":[[[110,40],[113,40],[113,43],[112,43],"
                   "[112,41],[111,41],[111,43],[110,43],[110,40]]]}");
    add_geojson(a, "{\"type\":\"MultiPolygon\",\"coordinates\":["
                   "[[[100,35],[101,35],[101,36],[100,36],[100,35]]],"
                   "[[[102,35],[103,35],[103,36],[102,36],[102,35]]]]}");
    assert_ok(geo_area_add_circle(a, 105, 25, 50000, &err), err);
    assert_ok(geo_area_add_circle(a, 108, 38, 150000, &err), err);
    return a;
}

typedef struct Pts {
    double *lon, *lat;
    size_t n;
} Pts;

/* n points in 99..114 × 19..44; one in eight on the 0.5-degree grid, where edges and vertices
 * of the mixed area lie. */
static Pts random_points(size_t n)
{
    Pts p = {xmalloc(n * sizeof(double)), xmalloc(n * sizeof(double)), n};
    for (size_t i = 0; i < n; i++) {
        p.lon[i] = 99 + 15 * rnd();
        p.lat[i] = 19 + 25 * rnd();
        if (i % 8 == 0) {
            p.lon[i] = round(p.lon[i] * 2) / 2;
            p.lat[i] = round(p.lat[i] * 2) / 2;
        }
    }
    return p;
}

static void test_filter_agrees_with_covers(void **state)
{
    GeoArea *a = mixed_area();
    const size_t n = 100000;
    Pts p = random_points(n);
    uint8_t *want = xmalloc(n), *hit = xmalloc(n);
    size_t nwant = 0, on_grid_in = 0;
    for (size_t i = 0; i < n; i++) {
        want[i] = (uint8_t)geo_area_covers(a, p.lon[i], p.lat[i]);
        nwant += want[i];
        on_grid_in += want[i] && i % 8 == 0;
    }
    print_message("%zu of %zu points in the area (%zu of them on the grid)\n", nwant, n,
                  on_grid_in);
    assert_true(nwant > n / 10 && nwant < n / 2 && on_grid_in > 100);
    const int threads[] = {1, 2, 3, 0};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        memset(hit, 7, n);
        assert_int_equal(geo_area_filter(a, p.lon, p.lat, n, hit, threads[t]), nwant);
        assert_memory_equal(hit, want, n);
    }
    free(want);
    free(hit);
    free(p.lon);
    free(p.lat);
    geo_area_free(a);
}

/* ---- against GEOS itself ----------------------------------------------------------------- */

/* A lobed polygon with slanted edges (n vertices around (cx, cy)) and a triangular hole, and
 * a long thin triangle: written to GeoJSON for geo/area and built directly in GEOS for the
 * reference, from the same doubles. */
#define LOBED_N 57
static double lobed[LOBED_N + 1][2];
static const double hole_tri[4][2] = {{121.7, 21.9}, {122.3, 21.8}, {122.0, 22.35}, {121.7, 21.9}};
static const double sliver[4][2] = {{118.0, 20.0}, {125.0, 20.3}, {118.0, 20.05}, {118.0, 20.0}};

static void make_lobed(void)
{
    for (int i = 0; i < LOBED_N; i++) {
        double t = 2 * M_PI * i / LOBED_N;
        double r = 1.5 + 0.6 * sin(5 * t) + 0.1 * sin(13 * t);
        lobed[i][0] = 122 + r * cos(t);
        lobed[i][1] = 22 + 0.8 * r * sin(t);
    }
    lobed[LOBED_N][0] = lobed[0][0];
    lobed[LOBED_N][1] = lobed[0][1];
}

static json_t *ring_json(const double (*ring)[2], int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("[f,f]", ring[i][0], ring[i][1]));
    return a;
}

static GEOSGeometry *ring_geos(GEOSContextHandle_t ctx, const double (*ring)[2], int n)
{
    return GEOSGeom_createLinearRing_r(
        ctx, GEOSCoordSeq_copyFromBuffer_r(ctx, &ring[0][0], (unsigned)n, 0, 0));
}

typedef struct Ref {
    GEOSContextHandle_t ctx;
    GEOSGeometry *g[2];
    const GEOSPreparedGeometry *p[2];
} Ref;

static int ref_covers(Ref *r, double lon, double lat)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(r->ctx, lon, lat);
    int in = GEOSPreparedCovers_r(r->ctx, r->p[0], pt) == 1 ||
             GEOSPreparedCovers_r(r->ctx, r->p[1], pt) == 1;
    GEOSGeom_destroy_r(r->ctx, pt);
    return in;
}

/* Points near every edge: on it as computed, and off it by ±1e-12 … ±1e-8 degrees. */
static size_t edge_points(const double (*ring)[2], int n, double *lon, double *lat, size_t at)
{
    static const double off[] = {0, 1e-12, -1e-12, 1e-10, -1e-10, 1e-9, -1e-9, 1e-8, -1e-8};
    for (int k = 0; k + 1 < n; k++) {
        for (int s = 0; s < 6; s++) {
            double t = s == 0 ? 0 : rnd();
            double x = ring[k][0] + t * (ring[k + 1][0] - ring[k][0]);
            double y = ring[k][1] + t * (ring[k + 1][1] - ring[k][1]);
            for (size_t o = 0; o < sizeof off / sizeof off[0]; o++) {
                lon[at] = x + off[o];
                lat[at++] = y;
                lon[at] = x;
                lat[at++] = y + off[o];
            }
        }
    }
    return at;
}

static void test_agrees_with_geos(void **state)
{
    make_lobed();
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    json_t *g1 =
        json_pack("{s:s, s:[o,o]}", "type", "Polygon", "coordinates",
                  ring_json((const double(*)[2])lobed, LOBED_N + 1), ring_json(hole_tri, 4));
    json_t *g2 = json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring_json(sliver, 4));
    assert_ok(geo_area_add_geojson(a, g1, &err), err);
    assert_ok(geo_area_add_geojson(a, g2, &err), err);
    json_decref(g1);
    json_decref(g2);

    Ref r;
    r.ctx = GEOS_init_r();
    GEOSGeometry *h = ring_geos(r.ctx, hole_tri, 4);
    r.g[0] = GEOSGeom_createPolygon_r(
        r.ctx, ring_geos(r.ctx, (const double(*)[2])lobed, LOBED_N + 1), &h, 1);
    r.g[1] = GEOSGeom_createPolygon_r(r.ctx, ring_geos(r.ctx, sliver, 4), NULL, 0);
    r.p[0] = GEOSPrepare_r(r.ctx, r.g[0]);
    r.p[1] = GEOSPrepare_r(r.ctx, r.g[1]);

    size_t cap = 200000, n = 0;
    double *lon = xmalloc(cap * sizeof *lon), *lat = xmalloc(cap * sizeof *lat);
    n = edge_points((const double(*)[2])lobed, LOBED_N + 1, lon, lat, n);
    n = edge_points(hole_tri, 4, lon, lat, n);
    n = edge_points(sliver, 4, lon, lat, n);
    size_t nedge = n;
    while (n < cap) { /* and random points over both boxes */
        lon[n] = 117.5 + 8 * rnd();
        lat[n++] = 19.5 + 5 * rnd();
    }
    uint8_t *hit = xmalloc(n);
    size_t count = geo_area_filter(a, lon, lat, n, hit, 2), want_count = 0, edge_in = 0;
    for (size_t i = 0; i < n; i++) {
        int want = ref_covers(&r, lon[i], lat[i]);
        want_count += (size_t)want;
        edge_in += i < nedge && want;
        if (geo_area_covers(a, lon[i], lat[i]) != want || hit[i] != want) {
            print_error("point %zu (%.17g, %.17g): GEOS %d, covers %d, filter %d\n", i, lon[i],
                        lat[i], want, geo_area_covers(a, lon[i], lat[i]), hit[i]);
            fail();
        }
    }
    print_message("%zu points (%zu near edges, %zu of those in), %zu in the area\n", n, nedge,
                  edge_in, want_count);
    assert_int_equal(count, want_count);
    assert_true(edge_in > nedge / 4 && edge_in < nedge * 3 / 4);
    free(hit);
    free(lon);
    free(lat);
    for (int i = 0; i < 2; i++) {
        GEOSPreparedGeom_destroy_r(r.ctx, r.p[i]);
        GEOSGeom_destroy_r(r.ctx, r.g[i]);
    }
    GEOS_finish_r(r.ctx);
    geo_area_free(a);
}

typedef struct Reader {
    GeoArea *area;
    Pts *pts;
    size_t count;
} Reader;

static void *read_covers(void *arg)
{
    Reader *r = arg;
    for (size_t i = 0; i < r->pts->n; i++)
        r->count += (size_t)geo_area_covers(r->area, r->pts->lon[i], r->pts->lat[i]);
    return NULL;
}

static void *read_filter(void *arg)
{
    Reader *r = arg;
    uint8_t *hit = xmalloc(r->pts->n);
    r->count = geo_area_filter(r->area, r->pts->lon, r->pts->lat, r->pts->n, hit, 2);
    free(hit);
    return NULL;
}

/* Reads from several threads at once give the same answers as one thread alone. */
static void test_concurrent_reads(void **state)
{
    GeoArea *a = mixed_area();
    Pts p = random_points(20000);
    uint8_t *hit = xmalloc(p.n);
    size_t want = geo_area_filter(a, p.lon, p.lat, p.n, hit, 1);
    Reader r[4] = {{a, &p, 0}, {a, &p, 0}, {a, &p, 0}, {a, &p, 0}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, i % 2 ? read_filter : read_covers, &r[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].count, want);
    }
    free(hit);
    free(p.lon);
    free(p.lat);
    geo_area_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_square_edges_and_vertices),
        cmocka_unit_test(test_polygon_with_hole),
        cmocka_unit_test(test_multipolygon),
        cmocka_unit_test(test_concave_u),
        cmocka_unit_test(test_checkerboard_multipolygon),
        cmocka_unit_test(test_circle_boundary),
        cmocka_unit_test(test_circle_near_pole_and_antimeridian),
        cmocka_unit_test(test_union_circle_polygon),
        cmocka_unit_test(test_cap_polygon_and_circle),
        cmocka_unit_test(test_geojson_errors),
        cmocka_unit_test(test_cap_and_circle_errors),
        cmocka_unit_test(test_empty_area),
        cmocka_unit_test(test_filter_agrees_with_covers),
        cmocka_unit_test(test_agrees_with_geos),
        cmocka_unit_test(test_concurrent_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
