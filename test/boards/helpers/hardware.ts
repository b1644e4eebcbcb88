/** The board hardware most board tests configure: an ESP32 with two ADC readers and one GPIO pin. */
export const ESP32_HARDWARE = {
  analogs: [
    { name: 'A1', pin: '34' },
    { name: 'A2', pin: '35' },
  ],
  pins: ['27'],
};
