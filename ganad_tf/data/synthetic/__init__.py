"""Seeded synthetic images of brushed-metal surfaces with rare small defects.

The paper's real task is inspecting smartphone-case metal: 2192x1000 images
of brushed aluminium where a defect (scratch, stamped dent, stain) covers a
tiny fraction of the image and the defect kinds occur with unequal
frequency. That data set is not public, so this package renders a stand-in
with the same traits: anisotropic brushed grain, uneven lighting, sensor
noise, and defects of each kind with a pixel mask for scoring heat maps.

Every image has its own random stream derived from (seed, kind, index), so
an image does not change when the counts of other kinds change, and the
surface and its defects draw from separate streams so the clean surface of
any defect image can be re-rendered for comparison.

Sizes in `SyntheticConfig` are pixels at the paper's 2192-pixel width and
scale with the image width, so a 256-pixel-wide set is a faithful miniature.

Modules, each using the ones above it:

  config.py   SyntheticConfig: what to render, and its validation
  surface.py  render_surface: the defect-free brushed metal
  defects.py  add_scratch, add_stamped, add_stain: the defect painters
  samples.py  render_sample, generate_arrays: one image or a set in memory
  writer.py   generate_dataset, load_manifest: PNG folders and manifest
"""
