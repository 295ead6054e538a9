/* pngrt: writes a PNG whose pixels are a function of (x, y), and reads one back checking every
 * pixel against that function. libpng's errors reach it by longjmp and are printed with the file.
 *   pngrt write FILE WIDTH HEIGHT     an 8-bit RGBA image with a tEXt chunk
 *   pngrt read FILE                   prints WIDTHxHEIGHT, the text, and "pixels ok" */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static png_byte pixel(png_uint_32 x, png_uint_32 y, int c) {
  switch (c) {
  case 0: return (png_byte)(x * 255 / 63);
  case 1: return (png_byte)(y * 7);
  case 2: return (png_byte)((x ^ y) & 0xff);
  default: return (png_byte)(255 - (x + y) % 128);
  }
}

static int fail(const char *file, const char *what) {
  fprintf(stderr, "pngrt: %s: %s\n", file, what);
  return 1;
}

static void on_error(png_structp png, png_const_charp msg) {
  fprintf(stderr, "pngrt: %s: libpng error: %s\n", (const char *)png_get_error_ptr(png), msg);
  png_longjmp(png, 1);
}

static int write_png(const char *file, png_uint_32 w, png_uint_32 h) {
  FILE *f = fopen(file, "wb");
  if (!f) return fail(file, "cannot create");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, (void *)file, on_error, NULL);
  png_infop info = png_create_info_struct(png);
  png_bytep row = malloc(w * 4);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(row);
    return 1;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_text text = {0};
  text.compression = PNG_TEXT_COMPRESSION_NONE;
  text.key = "Software";
  text.text = "pngrt (eka pkgs/libpng)";
  png_set_text(png, info, &text, 1);
  png_write_info(png, info);
  for (png_uint_32 y = 0; y < h; y++) {
    for (png_uint_32 x = 0; x < w; x++)
      for (int c = 0; c < 4; c++) row[x * 4 + c] = pixel(x, y, c);
    png_write_row(png, row);
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  free(row);
  return fclose(f) == 0 ? 0 : fail(file, "write failed");
}

static int read_png(const char *file) {
  FILE *f = fopen(file, "rb");
  if (!f) return fail(file, "cannot open");
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, (void *)file, on_error, NULL);
  png_infop info = png_create_info_struct(png);
  png_bytep row = NULL;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    free(row);
    return 1;
  }
  png_init_io(png, f);
  png_read_info(png, info);
  png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  if (png_get_color_type(png, info) != PNG_COLOR_TYPE_RGBA || png_get_bit_depth(png, info) != 8)
    png_error(png, "not the 8-bit RGBA image pngrt writes");
  printf("%ux%u\n", (unsigned)w, (unsigned)h);
  png_textp text;
  int ntext = 0;
  png_get_text(png, info, &text, &ntext);
  for (int i = 0; i < ntext; i++) printf("%s: %s\n", text[i].key, text[i].text);
  row = malloc(png_get_rowbytes(png, info));
  unsigned bad = 0;
  for (png_uint_32 y = 0; y < h; y++) {
    png_read_row(png, row, NULL);
    for (png_uint_32 x = 0; x < w; x++)
      for (int c = 0; c < 4; c++) bad += row[x * 4 + c] != pixel(x, y, c);
  }
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  free(row);
  fclose(f);
  if (bad) {
    printf("%u samples differ\n", bad);
    return 1;
  }
  puts("pixels ok");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "write") == 0) return write_png(argv[2], (png_uint_32)atol(argv[3]), (png_uint_32)atol(argv[4]));
  if (argc == 3 && strcmp(argv[1], "read") == 0) return read_png(argv[2]);
  fputs("usage: pngrt write FILE WIDTH HEIGHT | pngrt read FILE\n", stderr);
  return 2;
}
